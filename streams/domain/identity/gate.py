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
    million nonces: a pair is one integer in a set when the nonce is the hex a signer writes (the signer's
    number above the nonce's 128 bits: one object of ~48 bytes, not a tuple of two strings), else the pair
    itself; records that reached Kafka at one moment share one list in the order the book forgets them by.
    """

    def __init__(self, policy: SignaturePolicy) -> None:
        self.keep = policy.max_age + policy.max_skew
        self._seen: set[int | tuple[str, str]] = set()
        self._signers: dict[str, int] = {}
        self._order: deque[tuple[datetime, list[int | tuple[str, str]]]] = deque()
        self._asked: tuple[str, str, int | tuple[str, str]] = ("", "", 0)

    def __len__(self) -> int:
        return len(self._seen)

    def seen(self, signer: str, nonce: str, *, at: datetime) -> bool:
        self._forget_before(at - self.keep)
        pair = self._pair(signer, nonce)
        self._asked = (signer, nonce, pair)
        return pair in self._seen

    def record(self, signer: str, nonce: str, *, at: datetime) -> None:
        asked = self._asked  # `authenticate` asks `seen` first, then records the same pair
        pair = asked[2] if asked[0] == signer and asked[1] == nonce else self._pair(signer, nonce)
        if pair in self._seen:
            return
        self._seen.add(pair)
        if self._order and self._order[-1][0] == at:
            self._order[-1][1].append(pair)
        else:
            self._order.append((at, [pair]))

    def _pair(self, signer: str, nonce: str) -> int | tuple[str, str]:
        """One-to-one: only a nonce of 32 lowercase hex digits becomes a number."""
        if len(nonce) == _HEX_NONCE and nonce.isascii() and nonce.islower() and nonce.isalnum():
            try:
                number = int(nonce, 16)
            except ValueError:
                return signer, nonce
            signer_number = self._signers.setdefault(signer, len(self._signers) + 1)
            return signer_number << 128 | number
        return signer, nonce

    def _forget_before(self, moment: datetime) -> None:
        while self._order and self._order[0][0] < moment:
            _, pairs = self._order.popleft()
            self._seen.difference_update(pairs)


_HEX_NONCE = 32  # streams/signing.py writes 16 random bytes as lowercase hex


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
