"""Signed operator commands on the command side (issue 15.4): records in → records out, no broker. A
refused command is one dead letter, one audit record and its answer, and nothing else; the signer is the
operator."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from streams import topics
from streams.codecs.signed import signed_message
from streams.settings import Settings
from streams.signing import SigningKey
from tests.unit.worker.command_side.harness import CommandSide, Record, only
from tests.unit.worker.command_side.test_router import CALL_AT, command, raise_lockdown

ROOT = SigningKey.generate("root")
CAROL = SigningKey.generate("carol")  # commander
ALICE = SigningKey.generate("alice")  # operator
EVE = SigningKey.generate("eve")  # nobody
AT = CALL_AT + timedelta(minutes=30)


def registration(
    person: SigningKey, role: str, by: SigningKey = ROOT, status: str = "active", at: datetime = CALL_AT
) -> dict[str, Any]:
    value: dict[str, object] = {
        "schema_version": 1,
        "operator_id": person.person_id,
        "public_key": person.public_key_b64,
        "roles": [role],
        "status": status,
    }
    signature = by.sign(topic=topics.REGISTRY, key=person.person_id, value=value, now=at)
    return signed_message(value, signature)


def signed_side() -> CommandSide:
    side = CommandSide(Settings(topic_prefix="t.", registry_root_key=ROOT.public_key_b64))
    assert side.signed is not None
    for person, role in ((CAROL, "commander"), (ALICE, "operator")):
        assert side.feed(topics.REGISTRY, person.person_id, registration(person, role), now=CALL_AT) == []
    return side


def signed_lift(by: SigningKey, lockdown_id: str, at: datetime = AT) -> dict[str, Any]:
    value = command("lift_lockdown", lockdown_id, at=at, operator_id="someone-else")
    signature = by.sign(topic=topics.OPERATOR_COMMANDS, key=lockdown_id, value=value, now=at)
    return signed_message(value, signature)


def refused(side: CommandSide, out: list[Record], code: str, lockdown_id: str, before: int) -> None:
    (letter,) = only(out, topics.DEADLETTER)
    assert letter["reason"]["code"] == code
    (audit,) = only(out, topics.AUDIT, action="refused")
    assert audit["reason"].startswith(f"{code}: ") and audit["subject"] == lockdown_id
    (answer,) = only(out, topics.COMMAND_RESULTS)
    assert answer["outcome"] == "refused" and answer["reason"]["code"] == code
    assert answer["command_id"] == audit["command_id"] and answer["target_id"] == lockdown_id
    assert len(out) == 3
    assert side.tables["lockdowns"][lockdown_id]["status"] == "active"
    assert side.tables["lockdowns"].writes == before


def test_a_commander_lifts_a_lockdown_and_is_the_audited_actor() -> None:
    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    out = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, signed_lift(CAROL, lockdown_id), now=AT)
    assert only(out, topics.LOCKDOWNS, type="lifted")
    (audit,) = only(out, topics.AUDIT, action="lockdown_lifted")
    assert audit["actor"] == "carol"  # not the operator_id the message claims


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda ld: command("lift_lockdown", ld, at=AT), "unsigned"),
        (lambda ld: signed_lift(ALICE, ld), "not_authorised"),
        (lambda ld: signed_lift(EVE, ld), "unknown_signer"),
        (lambda ld: {**signed_lift(CAROL, ld), "note": "altered"}, "bad_signature"),
        (lambda ld: signed_lift(CAROL, ld, at=AT - timedelta(minutes=6)), "replayed"),
    ],
    ids=["unsigned", "operator-lifts", "unknown", "altered", "too-old"],
)
def test_a_refused_command_is_dead_lettered_and_audited_only(make: Any, code: str) -> None:
    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    before = side.tables["lockdowns"].writes
    out = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, make(lockdown_id), now=AT)
    refused(side, out, code, lockdown_id, before)


def test_a_forged_signature_under_a_commanders_name_is_bad() -> None:
    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    forged = signed_lift(EVE, lockdown_id)
    forged["signature"]["signer"] = "carol"
    before = side.tables["lockdowns"].writes
    out = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, forged, now=AT)
    refused(side, out, "bad_signature", lockdown_id, before)


def test_a_command_sent_again_is_replayed() -> None:
    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    alice = command("staff_point", "P-unknown", at=AT)
    signature = ALICE.sign(topic=topics.OPERATOR_COMMANDS, key="P-unknown", value=alice, now=AT)
    message = signed_message(alice, signature)
    side.feed(topics.OPERATOR_COMMANDS, "P-unknown", message, now=AT)
    out = side.feed(topics.OPERATOR_COMMANDS, "P-unknown", message, now=AT + timedelta(seconds=20))
    (letter,) = only(out, topics.DEADLETTER)
    assert letter["reason"]["code"] == "replayed"


def test_a_revoked_commander_may_lift_no_more() -> None:
    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    revoked_at = AT - timedelta(minutes=1)
    revocation = registration(CAROL, "commander", status="revoked", at=revoked_at)
    assert side.feed(topics.REGISTRY, "carol", revocation, now=revoked_at) == []
    before = side.tables["lockdowns"].writes
    out = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, signed_lift(CAROL, lockdown_id), now=AT)
    refused(side, out, "revoked_signer", lockdown_id, before)


def test_registry_records_need_the_right_signer() -> None:
    side = signed_side()
    # An operator registers someone: refused and audited; the registry does not change.
    out = side.feed(topics.REGISTRY, "eve", registration(EVE, "commander", by=ALICE), now=CALL_AT)
    assert [r.value["reason"]["code"] for r in out if r.topic == topics.DEADLETTER] == ["not_authorised"]
    assert only(out, topics.AUDIT, action="refused")
    assert "eve" not in side.tables["registry"]
    # Eve signs her own registration claiming to be the root.
    forged = registration(EVE, "commander", by=EVE)
    forged["signature"]["signer"] = "root"
    out = side.feed(topics.REGISTRY, "eve", forged, now=CALL_AT)
    assert [r.value["reason"]["code"] for r in out if r.topic == topics.DEADLETTER] == ["bad_signature"]
    assert "eve" not in side.tables["registry"]


def test_without_signatures_commands_are_taken_as_before() -> None:
    side = CommandSide(Settings(topic_prefix="t.", require_signatures=False))
    assert side.signed is None
    lockdown_id, _ = raise_lockdown(side)
    out = side.feed(
        topics.OPERATOR_COMMANDS, lockdown_id, command("lift_lockdown", lockdown_id, at=AT), now=AT
    )
    assert only(out, topics.LOCKDOWNS, type="lifted")


def test_the_refusals_dead_letter_and_audit_are_schema_valid() -> None:
    from tests.unit.test_contracts import validator

    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    out = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, signed_lift(ALICE, lockdown_id), now=AT)
    (letter,) = only(out, topics.DEADLETTER)
    validator("deadletter").validate(letter)
    (audit,) = only(out, topics.AUDIT, action="refused")
    validator("audit").validate(audit)
    assert audit["actor"] == "alice"
