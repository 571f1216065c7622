"""OCR equivalence: plates that differ only in characters a camera confuses.

The confusable classes are 0/O/D/Q, 1/I, 2/Z, 5/S, 8/B and 6/G.

Every plate maps to an *equivalence key* in which each confusable character is replaced by its class's
representative; two plates can be OCR-equivalent only if their keys are equal. The watchlist index keeps
entries by key, so a lookup is one dict probe whatever the list's size, and only entries sharing the key
are compared character by character to count substitutions.
"""

from __future__ import annotations

from dataclasses import dataclass

CONFUSABLE_CLASSES: tuple[str, ...] = ("0ODQ", "1I", "2Z", "5S", "8B", "6G")
# Each confusable character → the others of its class, in class order.
CONFUSABLE_MATES: dict[str, str] = {ch: group.replace(ch, "") for group in CONFUSABLE_CLASSES for ch in group}
# Each confusable character → its class's representative (the first of the class).
TO_KEY: dict[int, int] = {ord(char): ord(group[0]) for group in CONFUSABLE_CLASSES for char in group}


@dataclass(frozen=True, slots=True)
class Difference:
    """One substituted character: at `position`, the camera read `read` where the list has `listed`."""

    position: int
    read: str
    listed: str


def equivalence_key(normalised: str) -> str:
    """The key shared by every plate text OCR-equivalent to `normalised` (which must be normalised)."""
    return normalised.translate(TO_KEY)


def differences(read: str, listed: str) -> tuple[Difference, ...]:
    """Where two texts of one equivalence key differ (empty when identical)."""
    return tuple(
        Difference(position, a, b) for position, (a, b) in enumerate(zip(read, listed, strict=True)) if a != b
    )


def are_equivalent(read: str, listed: str, max_substitutions: int) -> bool:
    """True when the texts differ only in confusable characters, in at most `max_substitutions` places."""
    if len(read) != len(listed) or equivalence_key(read) != equivalence_key(listed):
        return False
    return len(differences(read, listed)) <= max_substitutions
