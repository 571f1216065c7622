"""The signed records' contract: schemas/operators.registry and the `signature` of operator.commands and
watchlist.entries agree with streams/codecs/signed.py, and the examples' signatures verify (so the canonical
bytes the docs describe are the ones the code signs)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.codecs.signed import (
    fast_canonical_json,
    message_statement,
    parse_registry,
    signature_header,
    signed_message,
    tombstone_statement,
)
from streams.domain.exceptions import InvalidInput
from streams.domain.identity.signatures import canonical_json
from streams.signing import SigningKey, verify
from tests.unit.test_contracts import SCHEMAS, examples, validator

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("message", examples("operators.registry", "valid"))
def test_valid_registry_records_are_accepted_by_schema_and_code(message: Any) -> None:
    validator("operators.registry").validate(message)
    person, status, _, _ = parse_registry(message["operator_id"], orjson.dumps(message), max_bytes=1 << 16)
    assert person.person_id == message["operator_id"] and status == message["status"]


@pytest.mark.parametrize("message", examples("operators.registry", "invalid"))
def test_invalid_registry_records_are_refused_by_schema_and_code(message: Any) -> None:
    assert not validator("operators.registry").is_valid(message)
    with pytest.raises(InvalidInput):
        parse_registry(message.get("operator_id"), orjson.dumps(message), max_bytes=1 << 16)


def test_the_signed_command_example_verifies_with_the_registered_key() -> None:
    carol = json.loads((SCHEMAS / "examples/operators.registry/valid/commander.json").read_text())
    command = json.loads((SCHEMAS / "examples/operator.commands/valid/lift-lockdown-signed.json").read_text())
    signature, signed = message_statement("operator.commands", command["target_id"], command)
    assert signature is not None and signature.signer == carol["operator_id"]
    assert verify(base64.b64decode(carol["public_key"]), signed, signature.ed25519)
    reordered = json.loads(json.dumps(dict(reversed(list(command.items())))))
    assert message_statement("operator.commands", command["target_id"], reordered)[1] == signed


def test_the_signed_watchlist_example_verifies_with_the_registered_key() -> None:
    wanda = json.loads((SCHEMAS / "examples/operators.registry/valid/watchlist-admin.json").read_text())
    entry = json.loads((SCHEMAS / "examples/watchlist.entries/valid/signed.json").read_text())
    signature, signed = message_statement("watchlist.entries", entry["entry_id"], entry)
    assert signature is not None and signature.signer == wanda["operator_id"] == "wanda"
    assert verify(base64.b64decode(wanda["public_key"]), signed, signature.ed25519)
    assert len(signed) == 32  # the digest of the statement is what is signed (docs/operators.md)
    altered = {**entry, "priority": 3 if entry["priority"] != 3 else 1}
    assert not verify(base64.b64decode(wanda["public_key"]), message_statement(
        "watchlist.entries", entry["entry_id"], altered)[1], signature.ed25519)  # fmt: skip


def test_a_signed_tombstone_verifies_and_its_reason_is_signed() -> None:
    wanda = SigningKey.generate("wanda")
    signature = wanda.sign(topic="watchlist.entries", key="wl-1", value=None, reason="found", now=T0)
    headers = [signature_header(signature), ("citygate-reason", b"found")]
    got, signed = tombstone_statement("watchlist.entries", "wl-1", headers)
    assert got == signature and verify(wanda.public_key, signed, signature.ed25519)
    _, altered = tombstone_statement("watchlist.entries", "wl-1", [headers[0], ("citygate-reason", b"x")])
    assert not verify(wanda.public_key, altered, signature.ed25519)
    assert tombstone_statement("watchlist.entries", "wl-1", [("citygate-reason", b"found")]) == (None, b"")


def test_a_signed_message_round_trips() -> None:
    carol = SigningKey.generate("carol")
    value: dict[str, object] = {"schema_version": 1, "target_id": "ld-1", "priority": 2}
    signature = carol.sign(topic="operator.commands", key="ld-1", value=value, now=T0)
    wire = orjson.loads(orjson.dumps(signed_message(value, signature)))
    got, signed = message_statement("operator.commands", "ld-1", wire)
    assert got == signature and verify(carol.public_key, signed, signature.ed25519)
    wire["priority"] = 2.0  # the same number, spelled otherwise: still the same statement
    assert message_statement("operator.commands", "ld-1", wire)[1] == signed


JSON_SCALARS = (
    st.text(max_size=40)  # every code point: escapes, controls, CJK, U+2028, DEL
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.booleans()
    | st.none()
)


@settings(max_examples=2000, deadline=None)
@given(
    value=st.dictionaries(
        st.text(max_size=20),
        JSON_SCALARS | st.floats(allow_nan=False, allow_infinity=False) | st.lists(JSON_SCALARS, max_size=3),
        max_size=12,
    ),
    key=st.text(max_size=30),
)  # fmt: skip
def test_the_fast_statement_encoder_writes_the_canonical_bytes(value: dict[str, object], key: str) -> None:
    """The verifier's fast encoder and the domain's canonical one spell every statement alike, so a record
    signed by any client (which uses the canonical form) verifies."""
    body: dict[str, object] = {"topic": "watchlist.entries", "key": key, "value": value, "signer": "wanda",
                               "signed_at": "2026-12-01T12:00:00.000Z", "nonce": "n" * 16}  # fmt: skip
    try:
        canonical = canonical_json(body)
    except UnicodeEncodeError:  # a lone surrogate: no client can send it as UTF-8 either
        return
    assert fast_canonical_json(body) == canonical
