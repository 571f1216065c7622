"""Which watchlist records count (issue 15.4): only those signed by someone the registry knows, in a role
that may make the change. Shared by the replica on every worker (which matches hits against what it
applies, so a forged entry that reached the topic must never produce an alert) and by the `check_watchlist`
agent (which judges every record once, in the group, and dead-letters and audits the refusals).

**Verified at the point of effect.** An Ed25519 verification costs ~130 µs here: two minutes for a
million-entry list at every worker start. So the replica runs every other check when a record arrives
(signed, fresh, signer known and not revoked then, role allowed, nonce new: all dictionary work), keeps
the signer and a *proof* (the statement's 32-byte digest and the signature) with the entry, and verifies
the signature when the entry first matches a hit (`confirm`); a forgery is then dropped from the index
and counted, and no alert is made. A tombstone deletes, so its signature is verified before it applies.
The agent verifies every record at once (each record once for the whole group), so forgeries are also
dead-lettered and audited.

**The registry.** The replica reads `watchlist.entries` and `operators.registry` side by side, from the
beginning. An entry whose signer the registry does not know *yet* (its registration still being read) is
held, not applied, and tried again whenever a registry record arrives: held means not matched, so a
forger's entry stays held forever and an operator registered a moment before listing is matched once the
registry catches up. Every verdict is judged against broker times (the record's own, the revocation's),
so a worker reading both topics from the beginning months later applies exactly what the running workers
applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from streams import codecs, topics
from streams.codecs.messages import EntryMessage
from streams.codecs.signed import message_statement, parse_registry, tombstone_statement
from streams.domain.exceptions import InvalidInput, Refused
from streams.domain.identity.gate import (
    Gate,
    NonceBook,
    Nonces,
    admit,
    authenticate,
    confirm,
    proof_of,
    verify_later,
)
from streams.domain.identity.registry import Person, Registry, fold_registry_record
from streams.domain.identity.roles import REMOVE_ENTRY, action_of_entry
from streams.domain.identity.signatures import Signature, SignaturePolicy, Verify
from streams.domain.matching.watchlist import WatchlistEntry

Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class HeldRecord:
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    arrived_at: datetime


@dataclass(frozen=True, slots=True)
class Statement:
    """What a watchlist entry's signature claims, worked out from the record alone (no registry, no
    nonces): the signature, the digest it must sign, and the action the entry is. A loading helper
    process computes it (streams/worker/watchlist/preparing.py); the gate is the replica's."""

    signature: Signature | None
    signed: bytes
    action: str


def entry_statement(
    key: bytes | None, value: bytes, *, max_bytes: int, decoded: EntryMessage | None = None
) -> Statement:
    """The statement of a watchlist entry record (not a tombstone). Raises `InvalidInput` (`Refused`
    for a malformed signature)."""
    message = codecs.decode_object(value, max_bytes=max_bytes)
    entry_id = codecs.decode_key(key) or ""
    typed = None if decoded is None else decoded.signature
    signature, signed = message_statement(topics.WATCHLIST, entry_id, message, typed)
    action = action_of_entry(category=str(message.get("category")), covert=message.get("covert") is True)
    return Statement(signature, signed, action)


@dataclass(frozen=True, slots=True)
class Vouched:
    """A record the replica may apply: by whom, and (for an entry) the proof to confirm on first match."""

    signer: str
    proof: bytes | None


class SignedEntries:
    """The registry as read so far, the nonces seen, and the records held for a signer not yet known."""

    def __init__(self, root: Person, verify: Verify, policy: SignaturePolicy, *, max_bytes: int) -> None:
        self.registry = Registry(root)
        self.verify = verify
        self.policy = policy
        self.nonces = NonceBook(policy)
        self.max_bytes = max_bytes
        self.held: dict[bytes | None, HeldRecord] = {}  # by key: a later record of the key replaces it
        self._confirmed: set[bytes] = set()  # proofs verified: an entry's signature is checked once
        self._later: Gate | None = None

    def gate(self, verify: Verify | None = None, nonces: Nonces | None = None) -> Gate:
        if verify is verify_later and nonces is None:  # every entry at load: one Gate per registry
            later = self._later
            if later is None or later.registry is not self.registry or later.nonces is not self.nonces:
                later = self._later = Gate(self.registry, verify_later, self.policy, self.nonces)
            return later
        # `is None`, not `or`: an empty nonce book has a length of 0, and is falsy.
        return Gate(
            self.registry,
            self.verify if verify is None else verify,
            self.policy,
            self.nonces if nonces is None else nonces,
        )

    def signer_of(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        arrived_at: datetime,
        *,
        nonces: Nonces | None = None,
    ) -> Person:
        """For the agent: the signer of a watchlist record, its signature verified, if allowed to make it;
        else `Refused` (`InvalidInput` for a record that is not a valid one at all). `nonces`: the agent's
        own book (the replica's records every nonce it applies: sharing it would refuse its own records)."""
        person, _ = self._judge(key, value, headers, arrived_at, self.gate(nonces=nonces))
        return person

    def vouch(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        arrived_at: datetime,
        decoded: EntryMessage | None = None,
        *,
        statement: Statement | None = None,
    ) -> Vouched | None:
        """For the replica: how to apply a record, or None when it must not be (yet). An unknown signer's
        record is held (see the module's docstring); any other refusal is skipped (the agent reports it)
        and, like an applied entry, a held one stays: a refused record changes nothing. A later record of
        the key that is applied or held replaces a held one. An entry's signature is left to `confirm`; a
        tombstone's is verified now. `decoded`: `value` as `codecs.decode_entry` read it, when it did;
        `statement`: the entry's `entry_statement`, when a loading helper worked it out."""
        gate = self.gate(verify=verify_later if value is not None else None)
        try:
            person, proof = self._judge(key, value, headers, arrived_at, gate, decoded, statement)
        except Refused as refused:
            if refused.code == "unknown_signer":
                self.held[key] = HeldRecord(key, value, tuple(headers), arrived_at)
            return None
        except InvalidInput:
            return None
        self.held.pop(key, None)  # superseded by this one
        return Vouched(person.person_id, proof)

    def confirm(self, entry: WatchlistEntry) -> bool:
        """Whether a vouched entry's signature holds (verified once, then remembered); True for an entry
        applied without a proof (one that was verified when it was applied)."""
        if entry.proof is None:
            return True
        if entry.proof in self._confirmed:
            return True
        if entry.signer is None or not confirm(self.registry, self.verify, entry.signer, entry.proof):
            return False
        self._confirmed.add(entry.proof)
        return True

    def on_registry(
        self, key: bytes | None, value: bytes | None, arrived_at: datetime
    ) -> list[tuple[HeldRecord, Vouched]]:
        """Fold a registry record in (skipping any that does not verify); returns the held watchlist
        records that may be applied now, in their order, each with how."""
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
        ready: list[tuple[HeldRecord, Vouched]] = []
        for held in sorted(self.held.values(), key=lambda h: h.arrived_at):
            del self.held[held.key]  # judged again: held anew while its signer is still unknown
            vouched = self.vouch(held.key, held.value, held.headers, held.arrived_at)
            if vouched is not None:
                ready.append((held, vouched))
        return ready

    def _judge(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        arrived_at: datetime,
        gate: Gate,
        decoded: EntryMessage | None = None,
        statement: Statement | None = None,
    ) -> tuple[Person, bytes | None]:
        if value is None:
            entry_id = codecs.tombstone_key(key)
            signature, signed = tombstone_statement(topics.WATCHLIST, entry_id, headers)
            action = REMOVE_ENTRY
        else:
            if statement is None:
                statement = entry_statement(key, value, max_bytes=self.max_bytes, decoded=decoded)
            signature, signed, action = statement.signature, statement.signed, statement.action
        person = admit(gate, signature, signed, action, arrived_at=arrived_at)
        proof = None if value is None or signature is None else proof_of(signature, signed)
        return person, proof
