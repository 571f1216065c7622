"""Chinese mainland licence plates (GA 36-2018): normalise the text as read, then parse and classify it.

Why: every ANPR hit is matched against watchlists by plate, and camera gateways report one plate as
``苏K12345``, ``苏K·12345``, ``苏ｋ１２３４５`` or ``苏k 12345``. Matching needs one canonical text, and a
read that cannot be a plate at all must be dead-lettered with a reason an operator can act on.

In scope (province abbreviation + issuing-authority letter + serial):

* ordinary plates: a 5-character serial of digits and letters (no I or O), e.g. ``苏K12345``;
* small new-energy plates: one of A-H, J, K, then a letter or digit, then 4 digits, e.g. ``苏KD12345``;
* large new-energy plates: 5 digits then D or F, e.g. ``苏K12345D``;
* special plates whose last serial character is a marker: 警 (police), 学 (driving-school coach),
  挂 (trailer), 港 / 澳 (Hong Kong / Macau cross-border, only on 粤Z plates), 领 (consulate) and
  使 (embassy), each after 4 digits or letters, e.g. ``苏K1234警``, ``粤Z1234港``;
* embassy and consulate plates, accepted leniently: also ``使`` followed by 6 digits (``使224001``; it has no
  province or authority letter) and 5 digits before 领 or 使 (``沪A12345领``).

Out of scope, rejected with a reason: military (PLA) and armed-police (``WJ``) plates, civil-aviation and
other plates without a province abbreviation, Hong Kong / Macau / Taiwan plates, and temporary, test,
over-limit and emergency plates (临 试 超 应急).

Normalising folds full-width ASCII to half-width, upper-cases ASCII letters and drops separators. It does
not validate, and it does not fold OCR confusables (0/O, 8/B): that is the watchlist matcher's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from itertools import combinations, product
from typing import Final

from streams.domain.matching.equivalence import CONFUSABLE_MATES, TO_KEY

__all__ = [
    "AUTHORITY_LETTERS",
    "PROVINCES",
    "Plate",
    "PlateFormatError",
    "PlateKind",
    "is_valid_plate",
    "normalise_plate",
    "parse_plate",
    "read_key",
    "repair_plate",
]

PROVINCES: Final = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
"""The 31 mainland province-level abbreviations that open a plate."""

_LETTERS: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # A-Z without I and O
_DIGITS: Final = "0123456789"
AUTHORITY_LETTERS: Final = frozenset(_LETTERS)
"""Issuing-authority letters: A-Z except I and O."""


class PlateKind(StrEnum):
    """What sort of plate it is; the value is the wire form."""

    ORDINARY = "ordinary"
    NEW_ENERGY_SMALL = "new_energy_small"
    NEW_ENERGY_LARGE = "new_energy_large"
    POLICE = "police"
    COACH = "coach"
    TRAILER = "trailer"
    HONG_KONG = "hong_kong"
    MACAU = "macau"
    EMBASSY = "embassy"
    CONSULATE = "consulate"


_MARKER_KINDS: Final = {
    "警": PlateKind.POLICE,
    "学": PlateKind.COACH,
    "挂": PlateKind.TRAILER,
    "港": PlateKind.HONG_KONG,
    "澳": PlateKind.MACAU,
    "使": PlateKind.EMBASSY,
    "领": PlateKind.CONSULATE,
}
_UNSUPPORTED_MARKERS: Final = frozenset("临试超应急")
_SMALL_NEV_FIRST: Final = frozenset("ABCDEFGHJK")
_LARGE_NEV_LAST: Final = frozenset("DF")
_CROSS_BORDER_PREFIX: Final = "粤Z"
_EMBASSY_FRONT: Final = "使"
_SHOW_MAX: Final = 32

# Separators dropped by normalise_plate. Full-width hyphen, full stop and space are listed too because the
# table maps each code point once: they go straight to "dropped", not via their half-width forms.
_SEPARATORS: Final = (
    " \t\r\n\u00a0\u200b\ufeff"  # spaces, tab, line ends, no-break and zero-width spaces, BOM
    "\u3000"  # ideographic space
    "-.\uff0d\uff0e"  # hyphen-minus, full stop and their full-width forms
    "\u00b7\u2022\u30fb\u2027\uff65\u2219\u22c5"  # middle dots and bullets
    "\u2010\u2011\u2012\u2013\u2014\u2212"  # hyphens, dashes and the minus sign
)


def _build_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    # Identity entries for the characters a plate is made of: str.translate raises and swallows a KeyError
    # for every unmapped character, so listing these makes the common case measurably faster.
    for ch in "".join(sorted(PROVINCES)) + "".join(_MARKER_KINDS) + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + _DIGITS:
        table[ord(ch)] = ord(ch)
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII variants -> ASCII
        table[cp] = cp - 0xFEE0
    for cp in range(ord("a"), ord("z") + 1):  # ASCII upper-casing, half- and full-width lower case
        table[cp] = cp - 0x20
        table[cp + 0xFEE0] = cp - 0x20
    for ch in _SEPARATORS:
        table[ord(ch)] = None
    return table


_NORMALISE_TABLE: Final = _build_table()
# Deletes every character allowed in an ordinary serial: what is left over is what is wrong with it.
_DROP_SERIAL_CHARS: Final = str.maketrans("", "", _LETTERS + _DIGITS)


class PlateFormatError(ValueError):
    """The text is not a plate this module accepts; ``reason`` says why, ``text`` is the (truncated) input."""

    def __init__(self, reason: str, text: str = "") -> None:
        shown = text if len(text) <= _SHOW_MAX else text[:_SHOW_MAX] + "…"
        super().__init__(reason, shown)
        self.reason = reason
        self.text = shown

    def __str__(self) -> str:
        return f"{self.reason} (plate text {self.text!r})"


@dataclass(frozen=True, slots=True)
class Plate:
    """A parsed plate. ``normalised == province + authority + serial``; ``raw`` is not part of equality.

    ``serial`` is everything after the authority letter, marker included (``1234警``). The ``使``-first
    embassy form has no province or authority: both are ``""`` and ``serial`` is the whole text.
    """

    raw: str = field(compare=False)
    normalised: str
    province: str
    authority: str
    serial: str
    kind: PlateKind


def _key_table() -> dict[int, int | None]:
    """Normalising, then the equivalence key, as one table: a scan that only asks whether a read can match
    pays one translate per reading instead of two."""
    table = dict(_NORMALISE_TABLE)
    for code, to in list(table.items()):
        if to is not None:
            table[code] = TO_KEY.get(to, to)
    for code, to in TO_KEY.items():
        table.setdefault(code, to)
    return table


_READ_KEY_TABLE: Final = _key_table()


def read_key(raw: str) -> str:
    """`equivalence_key(normalise_plate(raw))` in one pass (tests prove the two agree)."""
    return raw.translate(_READ_KEY_TABLE)


def normalise_plate(raw: str) -> str:
    """Full-width to half-width, ASCII upper-case, separators dropped. Does not validate."""
    return raw.translate(_NORMALISE_TABLE)


def is_valid_plate(raw: str) -> bool:
    """True when :func:`parse_plate` would accept ``raw``."""
    try:
        parse_plate(raw)
    except PlateFormatError:
        return False
    return True


def parse_plate(raw: str) -> Plate:
    """Normalise ``raw`` and parse it, or raise :class:`PlateFormatError` saying what is wrong."""
    text = raw.translate(_NORMALISE_TABLE)
    if not text:
        raise PlateFormatError("empty plate" if not raw else "empty plate: only separators or spaces", raw)
    head = text[0]
    if head not in PROVINCES:
        if head == _EMBASSY_FRONT:
            return _parse_embassy_front(raw, text)
        raise PlateFormatError(_bad_head_reason(text), raw)
    if len(text) < 2:
        raise PlateFormatError("missing issuing-authority letter after the province", raw)
    authority = text[1]
    if authority not in AUTHORITY_LETTERS:
        if authority in "IO":
            raise PlateFormatError(f"issuing-authority letter cannot be I or O, got {authority!r}", raw)
        raise PlateFormatError(f"issuing-authority must be a letter A-Z, got {authority!r}", raw)
    serial = text[2:]
    # ASCII letters and digits but I and O: tested in C without building a string (the common case).
    if not serial or (serial.isascii() and serial.isalnum() and "I" not in serial and "O" not in serial):
        kind = PlateKind.ORDINARY if len(serial) == 5 else _alphanumeric_kind(serial, raw)
    else:
        kind = _marker_kind(text, serial, serial.translate(_DROP_SERIAL_CHARS), raw)
    return Plate(raw, text, head, authority, serial, kind)


def repair_plate(raw: str, max_substitutions: int) -> Plate | None:
    """The plate a read most plausibly means when it fails the grammar only because of confusable
    characters, else None.

    An OCR engine reads S for 5, B for 8, O/D/Q for 0, Z for 2, G for 6, I for 1 (and back): ``苏KD1234S`` is
    ``苏KD12345``, ``苏K1234O`` is ``苏K12340``. The repair substitutes at most `max_substitutions`
    characters, each within its confusable class, and gives the first valid plate in a fixed order (fewest
    substitutions, then leftmost positions, then class order). A repaired read is never an exact match:
    the matcher compares the read itself with the listed plates, within the same limit.
    """
    text = raw.translate(_NORMALISE_TABLE)
    positions = [i for i, ch in enumerate(text) if ch in CONFUSABLE_MATES]
    for count in range(1, max_substitutions + 1):
        for chosen in combinations(positions, count):
            for replacement in product(*(CONFUSABLE_MATES[text[i]] for i in chosen)):
                chars = list(text)
                for position, char in zip(chosen, replacement, strict=True):
                    chars[position] = char
                try:
                    plate = parse_plate("".join(chars))
                except PlateFormatError:
                    continue
                return Plate(raw, plate.normalised, plate.province, plate.authority, plate.serial, plate.kind)
    return None


def _bad_head_reason(text: str) -> str:
    if text.startswith("WJ"):
        return "armed-police (WJ) plates are out of scope"
    head = text[0]
    if "A" <= head <= "Z" or "0" <= head <= "9":
        return f"unknown province character {head!r} (military and non-mainland plates are out of scope)"
    return f"unknown province character {head!r}"


def _parse_embassy_front(raw: str, text: str) -> Plate:
    digits = text[1:]
    if len(digits) != 6 or not (digits.isascii() and digits.isdigit()):
        raise PlateFormatError(f"expected 6 digits after 使 on an embassy plate, got {digits[:12]!r}", raw)
    return Plate(raw, text, "", "", text, PlateKind.EMBASSY)


def _alphanumeric_kind(serial: str, raw: str) -> PlateKind:
    """Kind of a serial made only of digits and letters other than I and O."""
    size = len(serial)
    if size == 5:
        return PlateKind.ORDINARY
    if size != 6:
        if size < 5:
            raise PlateFormatError(f"expected 5 serial characters for an ordinary plate, got {size}", raw)
        raise PlateFormatError(f"expected 5 (ordinary) or 6 (new-energy) serial characters, got {size}", raw)
    first = serial[0]
    if first.isdigit():
        if serial[5] not in _LARGE_NEV_LAST:
            raise PlateFormatError(
                f"large new-energy serial must end in D or F, got {serial[5]!r} in {serial!r}", raw
            )
        if not serial[:5].isdigit():
            raise PlateFormatError(f"large new-energy serial must start with 5 digits, got {serial!r}", raw)
        return PlateKind.NEW_ENERGY_LARGE
    if first not in _SMALL_NEV_FIRST:
        raise PlateFormatError(
            f"small new-energy serial must start with one of A-H, J, K, got {first!r} in {serial!r}", raw
        )
    if not serial[2:].isdigit():
        raise PlateFormatError(f"small new-energy serial must end in 4 digits, got {serial!r}", raw)
    return PlateKind.NEW_ENERGY_SMALL


def _marker_kind(text: str, serial: str, leftover: str, raw: str) -> PlateKind:
    """Kind of a serial holding something besides digits and letters: a valid one ends in a marker."""
    if "I" in leftover or "O" in leftover:
        raise PlateFormatError("serial contains I or O", raw)
    marker = serial[-1]
    kind = _MARKER_KINDS.get(marker)
    if kind is None or leftover != marker:
        odd = leftover[0]  # the leftmost character that is neither alphanumeric nor a final marker
        if odd in _UNSUPPORTED_MARKERS:
            raise PlateFormatError(
                f"unsupported plate marker {odd!r} (temporary, test, over-limit and emergency plates "
                "are out of scope)",
                raw,
            )
        if odd in _MARKER_KINDS:
            raise PlateFormatError(f"marker {odd!r} must be the last serial character", raw)
        raise PlateFormatError(f"serial contains invalid character {odd!r}", raw)
    body = len(serial) - 1
    if body != 4 and not (body == 5 and kind in (PlateKind.EMBASSY, PlateKind.CONSULATE)):
        expected = "4 or 5" if kind in (PlateKind.EMBASSY, PlateKind.CONSULATE) else "4"
        raise PlateFormatError(f"expected {expected} serial characters before {marker!r}, got {body}", raw)
    if body == 5 and not serial[:5].isdigit():
        raise PlateFormatError(f"expected 5 digits before {marker!r}, got {serial[:5]!r}", raw)
    if kind in (PlateKind.HONG_KONG, PlateKind.MACAU) and not text.startswith(_CROSS_BORDER_PREFIX):
        raise PlateFormatError(f"{marker} plates are only issued as 粤Z, got {text[:2]!r}", raw)
    return kind
