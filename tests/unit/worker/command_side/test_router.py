"""The command side on plain dicts, records in → records out: routing by table, the alert book, the incident
desk's lifecycle, and every refusal as one dead letter with no other effect."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streams import topics
from streams.domain.commands import COMMANDS
from tests.unit.worker.command_side.harness import CommandSide, only

EXAMPLES = Path(__file__).parents[4] / "schemas" / "examples"


def example(topic: str, name: str, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((EXAMPLES / topic / "valid" / f"{name}.json").read_text("utf-8"))
    value.update(changes)
    return value


CALL = example(topics.CALLS, "lotus-pond-armed-robbery-on-foot")
CALL_AT = datetime.fromisoformat(CALL["received_at"])


def alert(**changes: Any) -> dict[str, Any]:
    """A live watchlist match as the sensor side writes it, from the alerts schema's own example."""
    value = example(topics.ALERTS, "maximal")
    value.update(changes)
    return value


def command(name: str, target: str, *, at: datetime, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "schema_version": 1,
        "command_id": f"cmd-{name}-{target}"[:64],
        "command": name,
        "target_id": target,
        "operator_id": "op-0012",
        "issued_at": at.isoformat(),
        "reason_code": {"reject_hit": "misread", "lift_lockdown": "situation_resolved"}.get(name),
        "note": None,
    }
    value.update(changes)
    return value


def raise_lockdown(side: CommandSide) -> tuple[str, dict[str, Any]]:
    out = side.feed(topics.CALLS, CALL["call_id"], CALL, now=CALL_AT + timedelta(seconds=5))
    (raised,) = only(out, topics.LOCKDOWNS, type="raised")
    return raised["lockdown_id"], raised


def test_every_command_side_topic_and_operator_command_has_its_handler() -> None:
    side = CommandSide()
    assert set(side.router.by_topic) == set(topics.COMMAND_SIDE)
    assert set(side.router.by_command) == set(COMMANDS)


def test_a_lockdown_worthy_call_opens_an_incident_and_raises_a_lockdown_once() -> None:
    side = CommandSide()
    lockdown_id, raised = raise_lockdown(side)
    assert raised["rings"] and set(raised["required"]) == set(raised["rings"])
    (incident,) = side.tables["incidents"].values()
    assert incident["lockdown_id"] == lockdown_id and incident["status"] == "open"
    # The same call again (a replay after a crash) changes nothing and raises nothing.
    again = side.feed(topics.CALLS, CALL["call_id"], CALL, now=CALL_AT + timedelta(seconds=6))
    assert only(again, topics.LOCKDOWNS, type="raised") == []
    assert len(side.tables["lockdowns"]) == 1


def test_staffing_every_point_of_a_ring_seals_it() -> None:
    side = CommandSide()
    lockdown_id, raised = raise_lockdown(side)
    innermost = raised["rings"][0]
    points = side.tables["lockdowns"][lockdown_id]["required"][innermost]
    at = CALL_AT + timedelta(minutes=2)
    out = []
    for n, point in enumerate(points):
        report = example(
            topics.PATROL_REPORTS,
            "rr-07-arrived-at-point-bp-012",
            report_id=f"r-{n}",
            point_id=point,
            at=at.isoformat(),
        )
        out += side.feed(topics.PATROL_REPORTS, report["unit_id"], report, now=at)
    assert len(only(out, topics.LOCKDOWNS, type="point_staffed")) == len(points)
    (sealed,) = only(out, topics.LOCKDOWNS, type="ring_sealed")
    assert sealed["ring"] == innermost and sealed["time_to_seal_s"] == pytest.approx(115, abs=1)


def test_the_commander_lifts_a_lockdown_and_the_lift_is_audited() -> None:
    side = CommandSide()
    lockdown_id, _ = raise_lockdown(side)
    at = CALL_AT + timedelta(minutes=30)
    out = side.feed(
        topics.OPERATOR_COMMANDS, lockdown_id, command("lift_lockdown", lockdown_id, at=at), now=at
    )
    (lifted,) = only(out, topics.LOCKDOWNS, type="lifted")
    assert lifted["status"] == "lifted" and lifted["reason"] == "operator"
    (audit,) = only(out, topics.AUDIT, action="lockdown_lifted")
    assert audit["actor"] == "op-0012" and audit["subject"] == lockdown_id
    assert side.tables["lockdowns"][lockdown_id]["status"] == "lifted"


def test_an_accepted_alert_gets_its_next_version_and_an_audit_record() -> None:
    side = CommandSide()
    listed = alert()
    at = datetime.fromisoformat(listed["created_at"]) + timedelta(minutes=1)
    assert side.feed(topics.ALERTS, listed["alert_id"], listed, now=at) == []  # booked, nothing to say
    out = side.feed(
        topics.OPERATOR_COMMANDS, listed["alert_id"], command("accept_hit", listed["alert_id"], at=at), now=at
    )
    (accepted,) = only(out, topics.ALERTS, alert_id=listed["alert_id"])
    assert accepted["state"] == "accepted" and accepted["review"]["operator_id"] == "op-0012"
    assert only(out, topics.AUDIT, action="alert_accepted")
    booked = side.book.latest(listed["alert_id"])
    assert booked is not None and booked["state"] == "accepted"


def test_a_restricted_alert_is_reviewed_on_the_restricted_topic() -> None:
    side = CommandSide()
    covert = alert(alert_id="al-c0ae00000000000000000001")
    at = datetime.fromisoformat(covert["created_at"]) + timedelta(minutes=1)
    side.feed(topics.ALERTS_RESTRICTED, covert["alert_id"], covert, now=at)
    out = side.feed(
        topics.OPERATOR_COMMANDS, covert["alert_id"], command("reject_hit", covert["alert_id"], at=at), now=at
    )
    assert [r.topic for r in out if r.key == covert["alert_id"]] == [topics.ALERTS_RESTRICTED, topics.AUDIT]


@pytest.mark.parametrize(
    ("topic", "key", "value", "reason"),
    [
        (
            topics.OPERATOR_COMMANDS,
            "al-unknown",
            command("accept_hit", "al-unknown", at=CALL_AT),
            "invalid_value",
        ),
        (
            topics.OPERATOR_COMMANDS,
            "ld-unknown",
            command("lift_lockdown", "ld-unknown", at=CALL_AT),
            "invalid_value",
        ),
        (topics.OPERATOR_COMMANDS, "other", command("accept_hit", "al-x", at=CALL_AT), "key_mismatch"),
        (topics.CALLS, CALL["call_id"], b"{not json", "malformed_json"),
        (topics.CALLS, CALL["call_id"], {**CALL, "category": "jaywalking"}, "invalid_value"),
        (topics.PATROL_REPORTS, "RR-07", [1, 2], "not_an_object"),
        (topics.ALERTS, "al-x", b"\xff\xfe", "malformed_json"),
    ],
)
def test_refused_input_is_one_dead_letter_and_changes_nothing(
    topic: str, key: str, value: Any, reason: str
) -> None:
    side = CommandSide()
    before = {name: dict(table) for name, table in side.tables.items()}
    raw = value if isinstance(value, bytes | dict) else json.dumps(value).encode()
    out = side.feed(topic, key, raw, now=CALL_AT + timedelta(seconds=5))
    assert [(r.topic, r.value["reason"]["code"]) for r in out if r.topic == topics.DEADLETTER] == [
        (topics.DEADLETTER, reason)
    ]
    assert out[0].value["source"]["topic"] == topic
    if topic == topics.OPERATOR_COMMANDS:  # its sender is answered, and the answer audited
        (answer,) = only(out, topics.COMMAND_RESULTS)
        assert answer["outcome"] == "refused" and answer["reason"]["code"] == reason
        (audit,) = only(out, topics.AUDIT, action="command_refused")
        assert audit["command_id"] == answer["command_id"] and audit["reason"].startswith(f"{reason}: ")
        assert len(out) == 3
    else:
        assert len(out) == 1
    assert side.tables == before


def test_a_lookout_of_another_agency_is_dispatched_on_its_first_sighting_only() -> None:
    side = CommandSide()
    base = alert()
    match = {**base["match"], "category": "lookout", "source_agency": "淮安市公安局涟水县公安局"}
    first = alert(match=match, state="new", incident_id=None, checkpoint_id="EC-0001")
    at = datetime.fromisoformat(first["created_at"]) + timedelta(seconds=1)
    out = side.feed(topics.ALERTS, first["alert_id"], first, now=at)
    (dispatch,) = only(out, topics.ALERTS, kind="lookout_sighting")
    assert dispatch["plate"] == first["plate"]
    second = alert(match=match, state="new", alert_id="al-5ec0d0000000000000000002", incident_id=None)
    assert only(side.feed(topics.ALERTS, second["alert_id"], second, now=at), topics.ALERTS) == []


def test_our_own_lookouts_are_not_dispatched_as_another_agencys() -> None:
    side = CommandSide()
    own = alert(match={**alert()["match"], "category": "lookout", "source_agency": side.settings.home_agency})
    own["state"] = "new"
    at = datetime.fromisoformat(own["created_at"])
    assert side.feed(topics.ALERTS, own["alert_id"], own, now=at) == []


def test_a_tick_long_after_the_longest_lockdown_lifts_it_as_expired() -> None:
    side = CommandSide()
    lockdown_id, _ = raise_lockdown(side)
    assert only(side.tick(CALL_AT + timedelta(minutes=1)), topics.LOCKDOWNS, type="lifted") == []
    out = side.tick(CALL_AT + timedelta(hours=5))
    (lifted,) = only(out, topics.LOCKDOWNS, type="lifted")
    assert lifted["lockdown_id"] == lockdown_id and lifted["reason"] == "expired"


def test_the_book_forgets_alerts_older_than_it_keeps() -> None:
    side = CommandSide()
    old = alert()
    created = datetime.fromisoformat(old["created_at"])
    side.feed(topics.ALERTS, old["alert_id"], old, now=created)
    assert old["alert_id"] in side.tables["alert_book"]
    later = created + timedelta(days=side.settings.alert_book_days, hours=2)
    side.tick(later)
    assert old["alert_id"] not in side.tables["alert_book"]
