"""Which watchlist records count (issue 15.4): only those signed by someone the registry knows, in a role
that may make the change. Shared by the `check_watchlist` agent (which dead-letters and audits refusals
once) and by the replica on every worker (which matches hits against what it applies, so it must apply
only verified records: a forged entry that reached the topic must never produce an alert).

The replica reads `watchlist.entries` and `operators.registry` side by side, from the beginning. An entry
whose signer the registry does not know *yet* (its registration still being read) is held, not applied,
and tried again whenever a registry record arrives: held means not matched, so a forger's entry stays
held forever and an operator registered a moment before listing is matched once the registry catches up.
Every verdict is judged against broker times (the record's own, the revocation's), so a worker reading
both topics from the beginning months later applies exactly what the running workers applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from streams import codecs, topics
from streams.codecs.signed import message_statement, parse_registry, tombstone_statement
from streams.domain.exceptions import InvalidInput, Refused
from streams.domain.identity.gate import Gate, NonceBook, admit, authenticate
from streams.domain.identity.registry import Person, Registry, fold_registry_record
from streams.domain.identity.roles import REMOVE_ENTRY, action_of_entry
from streams.domain.identity.signatures import SignaturePolicy, Verify


@dataclass(frozen=True, slots=True)
class HeldRecord:
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    arrived_at: datetime


class SignedEntries:
    """The registry as read so far, the nonces seen, and the records held for a signer not yet known."""

    def __init__(self, root: Person, verify: Verify, policy: SignaturePolicy, *, max_bytes: int) -> None:
        self.registry = Registry(root)
        self.verify = verify
        self.policy = policy
        self.nonces = NonceBook(policy)
        self.max_bytes = max_bytes
        self.held: dict[bytes | None, HeldRecord] = {}  # by key: a later record of the key replaces it

    def gate(self) -> Gate:
        return Gate(self.registry, self.verify, self.policy, self.nonces)

    def signer_of(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        arrived_at: datetime,
    ) -> Person:
        """The signer of a watchlist record allowed to make it, or `Refused` (`InvalidInput` for a record
        that is not a valid one at all)."""
        if value is None:
            entry_id = codecs.tombstone_key(key)
            signature, signed = tombstone_statement(topics.WATCHLIST, entry_id, headers)
            action = REMOVE_ENTRY
        else:
            message = codecs.decode_object(value, max_bytes=self.max_bytes)
            entry_id = codecs.decode_key(key) or ""
            signature, signed = message_statement(topics.WATCHLIST, entry_id, message)
            action = action_of_entry(
                category=str(message.get("category")), covert=message.get("covert") is True
            )
        return admit(self.gate(), signature, signed, action, arrived_at=arrived_at)

    def admit(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        arrived_at: datetime,
    ) -> bool:
        """For the replica: True when the record may be applied. An unknown signer's record is held (see
        the module's docstring); any other refusal is skipped (the agent reports it). A later record of
        the same key replaces a held one, whichever counts."""
        self.held.pop(key, None)
        try:
            self.signer_of(key, value, headers, arrived_at)
        except Refused as refused:
            if refused.code == "unknown_signer":
                self.held[key] = HeldRecord(key, value, tuple(headers), arrived_at)
            return False
        except InvalidInput:
            return False
        return True

    def on_registry(self, key: bytes | None, value: bytes | None, arrived_at: datetime) -> list[HeldRecord]:
        """Fold a registry record in (skipping any that does not verify); returns the held watchlist
        records that verify now, to be applied in their order."""
        try:
            person, status, signature, signed = parse_registry(
                codecs.decode_key(key), value, max_bytes=self.max_bytes
            )
            signer = authenticate(self.gate(), signature, signed, arrived_at=arrived_at)
            self.registry = fold_registry_record(
                self.registry, person, status=status, signer=signer, arrived_at=arrived_at
            )
        except InvalidInput:  # Refused included: the command side reports registry refusals
            return []
        ready: list[HeldRecord] = []
        for held in sorted(self.held.values(), key=lambda h: h.arrived_at):
            if self.admit(held.key, held.value, held.headers, held.arrived_at):
                ready.append(held)
        return ready
