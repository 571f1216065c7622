"""Signed records on the wire (docs/operators.md, "Signed records"): where a record's signature is and which
bytes it signs. A message carries it as its `signature` field; a watchlist tombstone, which has no value,
in its `citygate-signature` header (the same object as JSON), with the `citygate-reason` header signed too.

The signed bytes are made from the *parsed* message (streams/domain/identity/signatures.py
`canonical_json`), so they do not depend on how the producer spelled its JSON.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import orjson

from streams.codecs.decoding import decode
from streams.codecs.messages import RegistryMessage, SignatureMessage
from streams.domain.exceptions import InvalidInput, Refused
from streams.domain.identity.registry import Person, check_registry_record
from streams.domain.identity.signatures import Signature, canonical_json, check_signature, statement

SIGNATURE_HEADER = "citygate-signature"
REASON_HEADER = "citygate-reason"
REGISTRY_TOPIC = "operators.registry"


def signature_of(raw: object) -> Signature | None:
    """The signature in a message's `signature` field (None when it has none). Raises `InvalidInput`."""
    if raw is None:
        return None
    try:
        fields = msgspec.convert(raw, SignatureMessage)
    except msgspec.ValidationError as error:
        raise InvalidInput("invalid_value", f"field 'signature': {error}") from None
    return check_signature(fields)


def message_statement(
    topic: str, key: str, message: dict[str, object], typed: SignatureMessage | None = None
) -> tuple[Signature | None, bytes]:
    """A decoded message's signature and the bytes it must sign (empty when unsigned). `typed`: the
    signature as a typed decoder already read it from the same bytes (saves converting it again)."""
    signature = signature_of(message.get("signature")) if typed is None else check_signature(typed)
    if signature is None:
        return None, b""
    value = {name: field for name, field in message.items() if name != "signature"}
    return signature, statement(
        topic=topic,
        key=key,
        value=value,
        signer=signature.signer,
        signed_at=signature.signed_at_text,
        nonce=signature.nonce,
        encode=fast_canonical_json,
    )


_PLAIN = frozenset({str, int, bool, type(None)})


def fast_canonical_json(body: dict[str, object]) -> bytes:
    """`canonical_json` at orjson's speed (~1 µs against ~15 for a watchlist entry: a worker reading a
    million entries makes a million statements). The two spell a statement alike when its value is flat
    and holds no float (orjson writes 2.0 as "2.0", the canonical form as "2"), which every valid entry
    and command is; anything else takes the canonical encoder itself. tests/unit/test_signed_contracts.py
    proves the two agree."""
    value = body.get("value")
    if isinstance(value, dict) and _PLAIN.issuperset(map(type, value.values())):
        try:
            return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson refuses a str it cannot encode (a lone surrogate): say so canonically
            pass
    return canonical_json(body)


def tombstone_statement(
    topic: str, key: str, headers: Iterable[tuple[str, bytes]]
) -> tuple[Signature | None, bytes]:
    """A tombstone's signature (from its header) and the bytes it must sign: a null value and the reason."""
    found = dict(headers)
    raw = found.get(SIGNATURE_HEADER)
    if raw is None:
        return None, b""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Refused("bad_signature", f"header {SIGNATURE_HEADER} is not JSON") from None
    signature = signature_of(parsed)
    assert signature is not None  # noqa: S101 (a JSON null was refused by signature_of's convert)
    reason = found.get(REASON_HEADER)
    return signature, statement(
        topic=topic,
        key=key,
        value=None,
        signer=signature.signer,
        signed_at=signature.signed_at_text,
        nonce=signature.nonce,
        reason=None if reason is None else reason.decode("utf-8", "replace"),
    )


def signed_message(value: dict[str, object], signature: Signature) -> dict[str, object]:
    """`value` with its `signature` field, as a producer sends it."""
    return {**value, "signature": signature.fields()}


def signature_header(signature: Signature) -> tuple[str, bytes]:
    """The header a signed tombstone carries."""
    return SIGNATURE_HEADER, orjson.dumps(signature.fields())


def parse_registry(
    key: str | None, value: bytes | None, *, max_bytes: int
) -> tuple[Person, str, Signature, bytes]:
    """A registry record: the person it describes, its status, its signature and the bytes signed."""
    if value is None:
        raise InvalidInput("malformed_json", "a registry record is never deleted (revoke it instead)")
    message = decode(REGISTRY_TOPIC, value, max_bytes=max_bytes)
    assert isinstance(message, RegistryMessage)  # noqa: S101
    if len(set(message.roles)) != len(message.roles):
        raise InvalidInput("invalid_value", "field 'roles' names a role twice")
    person = check_registry_record(key, message)
    signature, signed = message_statement(REGISTRY_TOPIC, message.operator_id, orjson.loads(value))
    assert signature is not None  # noqa: S101 (the schema requires it)
    return person, message.status, signature, signed
