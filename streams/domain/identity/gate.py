"""The one check every signed input passes: signed, fresh, by a known and unrevoked signer whose key made
the signature, not seen before, and by someone whose roles allow the action. The first failure is the
refusal (`Refused`, with its code); the order is chosen so that a refusal tells nothing a forger could use
and so that a forged record cannot spend a nonce: the nonce is recorded only once the signature verifies.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from streams.domain.exceptions import Refused
from streams.domain.identity.registry import Person, Registry
from streams.domain.identity.roles import allows, roles_for
from streams.domain.identity.signatures import Signature, SignaturePolicy, Verify, check_fresh


class Nonces(Protocol):
    """Where the (signer, nonce) pairs already seen are kept (in memory, or in a worker's table)."""

    def seen(self, signer: str, nonce: str, *, at: datetime) -> bool: ...
    def record(self, signer: str, nonce: str, *, at: datetime) -> None: ...


class NonceBook:
    """The (signer, nonce) pairs seen within the freshness window, oldest first.

    Beyond the window `check_fresh` refuses a record anyway, so a nonce is forgotten once older than
    `max_age + max_skew`: the book holds minutes of records, not the topic's history. Times are broker
    times, so a worker re-reading a topic from the beginning rebuilds the same verdicts.

    Compact, because a worker starting just after a bulk import of a million signed entries holds a
    million nonces: each is one dict slot, keyed by the nonce as an integer when it is the hex a signer
    writes (44 bytes, not an 81-byte string and a tuple), with its signer (a shared string) as the value;
    records that reached Kafka at one moment share one list in the order the book forgets them by.
    """

    def __init__(self, policy: SignaturePolicy) -> None:
        self.keep = policy.max_age + policy.max_skew
        self._signer_of: dict[int | str, str] = {}
        self._also: set[tuple[str, str]] = set()  # a nonce another signer used first (never in practice)
        self._order: deque[tuple[datetime, list[int | str]]] = deque()

    def __len__(self) -> int:
        return len(self._signer_of) + len(self._also)

    def seen(self, signer: str, nonce: str, *, at: datetime) -> bool:
        self._forget_before(at - self.keep)
        first = self._signer_of.get(_nonce_key(nonce))
        return first == signer or (first is not None and (signer, nonce) in self._also)

    def record(self, signer: str, nonce: str, *, at: datetime) -> None:
        key = _nonce_key(nonce)
        first = self._signer_of.get(key)
        if first is None:
            self._signer_of[key] = signer
        elif first != signer:
            self._also.add((signer, nonce))
        else:
            return
        if self._order and self._order[-1][0] == at:
            self._order[-1][1].append(key)
        else:
            self._order.append((at, [key]))

    def _forget_before(self, moment: datetime) -> None:
        while self._order and self._order[0][0] < moment:
            _, keys = self._order.popleft()
            for key in keys:
                self._signer_of.pop(key, None)
            if self._also:
                keys_now = set(keys)
                self._also = {pair for pair in self._also if _nonce_key(pair[1]) not in keys_now}


_HEX_NONCE = 32  # streams/signing.py writes 16 random bytes as lowercase hex


def _nonce_key(nonce: str) -> int | str:
    """The nonce as the integer its lowercase hex spells (one-to-one: only that spelling converts), else
    the text itself."""
    if len(nonce) == _HEX_NONCE and nonce.isascii() and nonce.islower() and nonce.isalnum():
        try:
            return int(nonce, 16)
        except ValueError:
            return nonce
    return nonce


@dataclass(frozen=True, slots=True)
class Gate:
    """What a verdict needs besides the record: the registry, the crypto and the window."""

    registry: Registry
    verify: Verify
    policy: SignaturePolicy
    nonces: Nonces


def authenticate(
    gate: Gate, signature: Signature | None, signed_bytes: bytes, *, arrived_at: datetime
) -> Person:
    """The signer of a record that reached Kafka at `arrived_at`, if its signature holds and is new.
    Raises `Refused`: unsigned, replayed, bad_signature, unknown_signer, revoked_signer."""
    if signature is None:
        raise Refused("unsigned", "no signature: sign it (citygate signs with CITYGATE_OPERATOR_KEY_FILE)")
    check_fresh(signature, arrived_at=arrived_at, policy=gate.policy)
    signer = gate.registry.find(signature.signer)
    if signer is None:
        raise Refused(
            "unknown_signer",
            f"{signature.signer!r} is not in the operators' registry (citygate operators add)",
            claimed_by=signature.signer,
        )
    if signer.revoked_by(arrived_at):
        raise Refused(
            "revoked_signer",
            f"{signer.person_id} was revoked before this was sent",
            claimed_by=signer.person_id,
        )
    if not gate.verify(signer.public_key, signed_bytes, signature.ed25519):
        raise Refused(
            "bad_signature",
            f"the signature is not {signer.person_id}'s over this record (forged or altered)",
            claimed_by=signer.person_id,
        )
    if gate.nonces.seen(signer.person_id, signature.nonce, at=arrived_at):
        raise Refused(
            "replayed",
            f"nonce {signature.nonce!r} of {signer.person_id} was seen already (sent again)",
            claimed_by=signer.person_id,
        )
    gate.nonces.record(signer.person_id, signature.nonce, at=arrived_at)
    return signer


def authorise(signer: Person, action: str) -> None:
    """Raise `not_authorised` unless `signer`'s roles allow `action`."""
    if not allows(signer.roles, action):
        needed = " or ".join(roles_for(action)) or "a role no one has"
        held = ", ".join(sorted(signer.roles)) or "no role"
        raise Refused(
            "not_authorised",
            f"{signer.person_id} ({held}) may not {action}: needs {needed}",
            claimed_by=signer.person_id,
        )


def admit(
    gate: Gate, signature: Signature | None, signed_bytes: bytes, action: str, *, arrived_at: datetime
) -> Person:
    """`authenticate`, then `authorise`: the signer of a record that may do `action`.

    Authorisation comes after the nonce is recorded on purpose: a genuine but unauthorised record is
    still spent, so sending it again is `replayed`, not a second `not_authorised` to the audit."""
    signer = authenticate(gate, signature, signed_bytes, arrived_at=arrived_at)
    authorise(signer, action)
    return signer


def window(policy: SignaturePolicy) -> timedelta:
    """How long a nonce is remembered (and so how long a worker must have read to judge replays)."""
    return policy.max_age + policy.max_skew


DIGEST_BYTES = 32  # a statement's SHA-256 (streams/domain/identity/signatures.py)


def verify_later(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """A `Verify` that passes every signature, for a caller that keeps the statement's digest and the
    signature (a `proof`) and checks them at the point of effect with `confirm`: every other check of
    `authenticate` (signed, fresh, signer known and not revoked, nonce new) and the role still apply."""
    return True


def proof_of(signature: Signature, signed_bytes: bytes) -> bytes:
    """What `confirm` needs later: the digest signed, then the signature."""
    return signed_bytes + signature.ed25519


def confirm(registry: Registry, verify: Verify, signer_id: str, proof: bytes) -> bool:
    """Whether `proof` (from `proof_of`) holds under `signer_id`'s registered key. A record's signer was
    known and unrevoked when it arrived (checked then); keys never change, so the key found now is that
    one."""
    signer = registry.find(signer_id)
    if signer is None or len(proof) != DIGEST_BYTES + 64:
        return False
    return verify(signer.public_key, proof[:DIGEST_BYTES], proof[DIGEST_BYTES:])
