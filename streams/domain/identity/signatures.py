"""What an operator signs, and when a signature is too old or too new to count.

**The signed bytes** of a record are the SHA-256 digest of `PREFIX` followed by the canonical JSON
(`canonical_json`) of its *statement*: an object with the record's logical topic, its key, its value without
the `signature` field (null for a tombstone), and the signature's `signer`, `signed_at` and `nonce`; a
tombstone's statement adds the removal's `reason` (its `citygate-reason` header). So a signature holds for
one value under one key on one topic, at one time: moved to another key or topic, or with any field
changed, it no longer verifies. Why a digest: a worker holding a million watchlist entries keeps 32 bytes
of each statement and verifies the signature when the entry first matches a hit (an Ed25519 verification
costs ~130 µs here, two minutes for the whole list at every start), not the statement itself.

**Freshness**: `signed_at` is judged against the time the record reached Kafka (its broker timestamp, which
the producer cannot set on citygate's input topics): older than `max_age` is a replay (a record captured
and sent again later), ahead by more than `max_skew` is a signing clock that is wrong. The broker time
stays with a record, so a worker reading a compacted topic from the beginning months later judges each
record exactly as the workers that saw it arrive.

Ed25519 itself is not here (it needs `cryptography`): whoever verifies passes a `Verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from streams.domain import fields
from streams.domain.exceptions import Refused

PREFIX = b"citygate-signature/2\n"  # /2: the digest of the statement is signed
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


class Verify(Protocol):
    """True when `signature` is `public_key`'s Ed25519 signature of `message`."""

    def __call__(self, public_key: bytes, message: bytes, signature: bytes) -> bool: ...


class SignatureFields(Protocol):
    """A `signature` object as decoded (schema-checked) from a message or a tombstone's header."""

    @property
    def signer(self) -> str: ...
    @property
    def signed_at(self) -> str: ...
    @property
    def nonce(self) -> str: ...
    @property
    def ed25519(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Signature:
    signer: str
    signed_at: datetime
    signed_at_text: str  # as written: it is part of what was signed
    nonce: str
    ed25519: bytes

    def fields(self) -> dict[str, str]:
        """The signature object as it goes on the wire (`signature` field or header)."""
        return {
            "signer": self.signer,
            "signed_at": self.signed_at_text,
            "nonce": self.nonce,
            "ed25519": base64.b64encode(self.ed25519).decode("ascii"),
        }


def check_signature(decoded: SignatureFields) -> Signature:
    """The domain's signature from its decoded fields; `bad_signature` when the bytes are not 64."""
    raw = decode_b64(decoded.ed25519, SIGNATURE_BYTES, "signature.ed25519")
    return Signature(
        decoded.signer,
        fields.moment(decoded.signed_at, "signature.signed_at"),
        decoded.signed_at,
        decoded.nonce,
        raw,
    )


def decode_b64(text: str, size: int, name: str) -> bytes:
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)  # b64decode(validate=True), less its regex
    except (binascii.Error, ValueError):
        raise Refused("bad_signature", f"{name} is not base64") from None
    if len(raw) != size:
        raise Refused("bad_signature", f"{name} must be {size} bytes, got {len(raw)}")
    return raw


def statement(
    *,
    topic: str,
    key: str,
    value: dict[str, object] | None,
    signer: str,
    signed_at: str,
    nonce: str,
    reason: str | None = None,
    encode: Callable[[dict[str, object]], bytes] | None = None,
) -> bytes:
    """The bytes a signature signs (see the module's docstring). `value` is the message without its
    `signature` field, or None for a tombstone, whose `reason` is signed instead. `encode` may replace
    `canonical_json` by a faster encoder that writes the same bytes (an adapter's, tested against it)."""
    body: dict[str, object] = {
        "topic": topic,
        "key": key,
        "value": value,
        "signer": signer,
        "signed_at": signed_at,
        "nonce": nonce,
    }
    if value is None:
        body["reason"] = reason
    return hashlib.sha256(PREFIX + (encode or canonical_json)(body)).digest()


def canonical_json(value: object) -> bytes:
    """JSON in one spelling: keys sorted, no whitespace, UTF-8 text unescaped (JSON's own escapes only),
    integers written as integers (`2.0` as `2`: these messages hold no other numbers). The signer and the
    verifier each make it from the parsed value, so how the record's bytes were spelled does not matter."""
    return json.dumps(
        _integral(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _integral(value: object) -> object:
    if type(value) is float and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_integral(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class SignaturePolicy:
    """How far `signed_at` may lie from the record's broker time."""

    max_age: timedelta = timedelta(minutes=5)
    max_skew: timedelta = timedelta(minutes=5)


def check_fresh(signature: Signature, *, arrived_at: datetime, policy: SignaturePolicy) -> None:
    """Refuse a signature made more than `max_age` before the record reached Kafka (`replayed`) or more
    than `max_skew` after (`bad_signature`: the signing machine's clock is wrong)."""
    ahead = signature.signed_at.timestamp() - arrived_at.timestamp()
    if ahead > policy.max_skew.total_seconds():
        raise Refused(
            "bad_signature",
            f"signed {ahead:.0f} s after it reached Kafka (the signing machine's clock is wrong)",
            claimed_by=signature.signer,
        )
    if -ahead > policy.max_age.total_seconds():
        raise Refused(
            "replayed",
            f"signed {-ahead:.0f} s before it reached Kafka; a signature counts for "
            f"{policy.max_age.total_seconds():.0f} s (a record sent again?)",
            claimed_by=signature.signer,
        )
