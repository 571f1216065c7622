"""Every operator command is answered (issue 16.1): applied, or refused with the reason, on command.results
keyed by its command id and on audit; read again after a crash it gets the same records; a command id
answered already keeps its first answer. Records in → records out, no broker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from streams import topics
from streams.codecs.signed import signed_message
from streams.settings import Settings
from streams.worker.pipeline import InputRecord
from tests.unit.test_contracts import validator
from tests.unit.worker.command_side.harness import CommandSide, Record, only
from tests.unit.worker.command_side.test_router import CALL_AT, alert, command, raise_lockdown
from tests.unit.worker.command_side.test_signed_commands import ALICE, CAROL, signed_side

AT = CALL_AT + timedelta(minutes=30)


def answer(out: list[Record], command_id: str) -> dict[str, Any]:
    (found,) = only(out, topics.COMMAND_RESULTS, command_id=command_id)
    validator("command.results").validate(found)
    [key] = {r.key for r in out if r.topic == topics.COMMAND_RESULTS}
    assert key == command_id
    for audit in only(out, topics.AUDIT):
        validator("audit").validate(audit)
    return found


def booked(side: CommandSide) -> str:
    listed = alert(created_at=(AT - timedelta(minutes=1)).isoformat())
    side.feed(topics.ALERTS, listed["alert_id"], listed, now=AT)
    return str(listed["alert_id"])


def send(side: CommandSide, name: str, target: str, **changes: Any) -> list[Record]:
    return side.feed(topics.OPERATOR_COMMANDS, target, command(name, target, at=AT, **changes), now=AT)


def test_an_accepted_alert_is_answered_applied_and_its_audit_names_the_command() -> None:
    side = CommandSide()
    alert_id = booked(side)
    out = send(side, "accept_hit", alert_id, command_id="cmd-1")
    found = answer(out, "cmd-1")
    assert found["outcome"] == "applied" and found["reason"] is None
    assert (found["command"], found["target_id"], found["operator_id"]) == ("accept_hit", alert_id, "op-0012")
    (audit,) = only(out, topics.AUDIT, action="alert_accepted")
    assert audit["command_id"] == "cmd-1"
    assert [r.topic for r in out][-1] == topics.COMMAND_RESULTS  # after what it applied


def test_a_lift_and_a_staffed_point_are_answered_applied() -> None:
    side = CommandSide()
    lockdown_id, raised = raise_lockdown(side)
    point = raised["plan"]["rings"][0]["required"][0]
    assert answer(send(side, "staff_point", point, command_id="cmd-s"), "cmd-s")["outcome"] == "applied"
    assert (
        answer(send(side, "lift_lockdown", lockdown_id, command_id="cmd-l"), "cmd-l")["outcome"] == "applied"
    )


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("unknown alert", "no alert al-nothing"),
        ("accepted twice", "is accepted already (by op-0012 at"),
        ("unknown lockdown", "no lockdown ld-nothing"),
        ("lifted twice", "is lifted already (operator, "),
        ("unknown point", "unknown point id 'P-nowhere'"),
        ("point no lockdown needs", "no active lockdown needs point"),
        ("point staffed twice", "is staffed already (ld-"),
    ],
)
def test_a_command_that_changes_nothing_is_refused_with_the_reason(case: str, says: str) -> None:
    side = CommandSide()
    lockdown_id, raised = raise_lockdown(side)
    required = set(raised["plan"]["rings"][0]["required"])
    alert_id = booked(side)
    needed = {point for ring in raised["plan"]["rings"] for point in ring["required"]}
    unneeded = min(set(side.desk.topology.points) - needed)
    first, target = {
        "unknown alert": (None, ("accept_hit", "al-nothing")),
        "accepted twice": (("accept_hit", alert_id), ("accept_hit", alert_id)),
        "unknown lockdown": (None, ("lift_lockdown", "ld-nothing")),
        "lifted twice": (("lift_lockdown", lockdown_id), ("lift_lockdown", lockdown_id)),
        "unknown point": (None, ("staff_point", "P-nowhere")),
        "point no lockdown needs": (None, ("staff_point", unneeded)),
        "point staffed twice": (("staff_point", min(required)), ("staff_point", min(required))),
    }[case]
    if first is not None:
        assert answer(send(side, *first, command_id="cmd-first"), "cmd-first")["outcome"] == "applied"
    before = {name: dict(table) for name, table in side.tables.items()}
    out = send(side, *target, command_id="cmd-again")
    found = answer(out, "cmd-again")
    assert found["outcome"] == "refused" and found["reason"]["code"] == "invalid_value"
    assert says in found["reason"]["detail"] and "\n" not in found["reason"]["detail"]
    (letter,) = only(out, topics.DEADLETTER)
    assert letter["reason"]["detail"] == found["reason"]["detail"]
    (audit,) = only(out, topics.AUDIT, action="command_refused")
    assert audit["command_id"] == "cmd-again" and audit["actor"] == "op-0012"
    assert len(out) == 3
    assert side.tables == before  # without signatures a refusal changes nothing, not even the answers


def test_a_reject_after_an_accept_is_a_correction_and_applied() -> None:
    side = CommandSide()
    alert_id = booked(side)
    send(side, "accept_hit", alert_id, command_id="cmd-1")
    assert answer(send(side, "reject_hit", alert_id, command_id="cmd-2"), "cmd-2")["outcome"] == "applied"


def test_a_message_without_a_readable_command_id_is_only_a_dead_letter() -> None:
    side = CommandSide()
    out = side.feed(topics.OPERATOR_COMMANDS, "al-1", b'{"command_id": 7}', now=AT)
    assert [r.topic for r in out] == [topics.DEADLETTER]
    out = side.feed(topics.OPERATOR_COMMANDS, "al-1", b"{not json", now=AT)
    assert [r.topic for r in out] == [topics.DEADLETTER]


def test_an_off_contract_command_with_an_id_is_answered_with_what_it_says() -> None:
    side = CommandSide()
    out = side.feed(
        topics.OPERATOR_COMMANDS,
        "al-1",
        command("accept_hit", "al-1", at=AT, note=5, command_id="c-7"),
        now=AT,
    )
    found = answer(out, "c-7")
    assert found["reason"]["code"] == "wrong_type" and found["target_id"] == "al-1"


def test_a_crash_in_a_handler_is_answered_as_a_processing_error() -> None:
    side = CommandSide()
    alert_id = booked(side)

    def broken(*_: object) -> list[object]:
        raise RuntimeError("boom")

    side.router.by_command = {**side.router.by_command, "accept_hit": broken}  # type: ignore[dict-item]
    found = answer(send(side, "accept_hit", alert_id, command_id="cmd-x"), "cmd-x")
    assert found["reason"] == {"code": "processing_error", "detail": "RuntimeError: boom"}


def test_an_applied_command_read_again_after_a_crash_sends_the_same_records() -> None:
    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    value = command("lift_lockdown", lockdown_id, at=AT, command_id="cmd-l")
    lift = signed_message(
        value, CAROL.sign(topic=topics.OPERATOR_COMMANDS, key=lockdown_id, value=value, now=AT)
    )
    first = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, lift, now=AT)
    assert answer(first, "cmd-l")["outcome"] == "applied"
    offset = answer(first, "cmd-l")["source"]["offset"]
    # The same record at the same offset, a few seconds later: not `replayed`, not "lifted already".
    again = side.feed(
        topics.OPERATOR_COMMANDS, lockdown_id, lift, now=AT + timedelta(seconds=5), offset=offset, arrived=AT
    )
    assert again == first


def test_a_refusal_after_the_signer_was_checked_is_the_same_when_read_again() -> None:
    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    value = command("lift_lockdown", lockdown_id, at=AT, command_id="cmd-a")
    lift = signed_message(
        value, ALICE.sign(topic=topics.OPERATOR_COMMANDS, key=lockdown_id, value=value, now=AT)
    )
    first = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, lift, now=AT)
    assert answer(first, "cmd-a")["reason"]["code"] == "not_authorised"
    offset = answer(first, "cmd-a")["source"]["offset"]
    again = side.feed(
        topics.OPERATOR_COMMANDS, lockdown_id, lift, now=AT + timedelta(seconds=5), offset=offset, arrived=AT
    )
    assert only(again, topics.DEADLETTER)[0]["reason"]["code"] == "not_authorised"  # not `replayed`
    assert only(again, topics.COMMAND_RESULTS) == only(first, topics.COMMAND_RESULTS)


def test_a_command_id_answered_already_keeps_its_first_answer() -> None:
    side = signed_side()
    lockdown_id, _ = raise_lockdown(side)
    value = command("lift_lockdown", lockdown_id, at=AT, command_id="cmd-l")
    lift = signed_message(
        value, CAROL.sign(topic=topics.OPERATOR_COMMANDS, key=lockdown_id, value=value, now=AT)
    )
    first = answer(side.feed(topics.OPERATOR_COMMANDS, lockdown_id, lift, now=AT), "cmd-l")
    # Sent again byte for byte (a new record): replayed, and the answer stays the first one.
    out = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, lift, now=AT + timedelta(seconds=1))
    assert only(out, topics.DEADLETTER)[0]["reason"]["code"] == "replayed"
    assert answer(out, "cmd-l") == first
    # The same command signed anew: its first answer again, and nothing applied twice.
    value = {**value, "issued_at": (AT + timedelta(seconds=2)).isoformat()}
    later = AT + timedelta(seconds=2)
    resigned = signed_message(
        value, CAROL.sign(topic=topics.OPERATOR_COMMANDS, key=lockdown_id, value=value, now=later)
    )
    out = side.feed(topics.OPERATOR_COMMANDS, lockdown_id, resigned, now=later)
    assert [r.topic for r in out] == [topics.COMMAND_RESULTS] and answer(out, "cmd-l") == first
    # Another command under that id: refused, and the id's answer is still the first.
    value = command("staff_point", "P-1", at=later, command_id="cmd-l")
    other = signed_message(
        value, CAROL.sign(topic=topics.OPERATOR_COMMANDS, key="P-1", value=value, now=later)
    )
    out = side.feed(topics.OPERATOR_COMMANDS, "P-1", other, now=later)
    assert "taken by another command (lift_lockdown" in only(out, topics.DEADLETTER)[0]["reason"]["detail"]
    assert answer(out, "cmd-l") == first


def test_kept_answers_are_forgotten_once_a_command_that_old_is_stale() -> None:
    side = CommandSide(Settings(topic_prefix="t.", require_signatures=False))
    alert_id = booked(side)
    send(side, "accept_hit", alert_id, command_id="cmd-1")
    assert "cmd-1" in side.tables["answers"]
    later = AT + timedelta(hours=2)
    side.feed(topics.OPERATOR_COMMANDS, alert_id, command("reject_hit", alert_id, at=later), now=later)
    assert "cmd-1" not in side.tables["answers"]


def test_the_pipeline_leaves_other_topics_refusals_as_they_were() -> None:
    side = CommandSide()
    message = InputRecord("t.calls.110", 0, 0, None, b"110-1", b"{oops")
    out, _ = side.pipeline.handle_messages([message], side.router, AT)
    assert [r.topic for r in out] == [topics.DEADLETTER]


@pytest.mark.parametrize(
    ("value", "header"),
    [
        (b'{"command_id": "c-1", "command": "lift_lockdown", "target_id": "ld-1", "operator_id": "x"}',
         ("c-1", "lift_lockdown", "ld-1", "x")),
        (b'{"command_id": "c-1", "command": "dance", "target_id": "a b", "operator_id": ""}',
         ("c-1", None, None, None)),
        (b'{"command_id": "c-1", "operator_id": "carol", "signature": {"signer": "eve"}}',
         ("c-1", None, None, "eve")),
        (b'{"command_id": "c 1"}', None),
        (b'{"command_id": "' + b"c" * 65 + b'"}', None),
        (b'["command_id"]', None),
        (None, None),
    ],
)  # fmt: skip
def test_what_can_be_read_of_a_command_to_answer_it(value: bytes | None, header: Any) -> None:
    from streams.codecs import command_header

    found = command_header(value, max_bytes=1000)
    expected = (
        None
        if header is None
        else dict(zip(("command_id", "command", "target_id", "operator_id"), header, strict=True))
    )
    assert (None if found is None else {k: getattr(found, k) for k in expected or {}}) == expected
