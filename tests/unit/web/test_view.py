"""streams/web/view.py: what the web console folds from the topics, and who is shown restricted alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from streams import topics
from streams.web.view import DeskView

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples"
AT = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def example(topic: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / topic / "valid" / f"{name}.json").read_text("utf-8"))
    return loaded


def feed(view: DeskView, topic: str, value: dict[str, Any] | bytes | None) -> Any:
    raw = orjson.dumps(value) if isinstance(value, dict) else value
    return view.apply(topic, b"k", raw, AT)


def test_restricted_alerts_are_only_for_privileged_sessions() -> None:
    view = DeskView()
    ordinary = {**example("alerts", "retro-match"), "alert_id": "al-ordinary"}
    covert = {**example("alerts", "retro-match"), "alert_id": "al-covert"}
    plain_change = feed(view, topics.ALERTS, ordinary)
    covert_change = feed(view, topics.ALERTS_RESTRICTED, covert)
    assert plain_change.for_session(privileged=False) and plain_change.for_session(privileged=True)
    assert not covert_change.for_session(privileged=False) and covert_change.for_session(privileged=True)
    assert [a["alert_id"] for a in view.snapshot(privileged=False)["alerts"]] == ["al-ordinary"]
    assert [a["alert_id"] for a in view.snapshot(privileged=True)["alerts"]] == ["al-ordinary", "al-covert"]
    assert plain_change.data["received_at"] == AT.isoformat()


def test_an_alert_is_kept_in_its_latest_version_and_the_oldest_drop_off() -> None:
    view = DeskView(max_alerts=3)
    for n in range(5):
        feed(view, topics.ALERTS, {**example("alerts", "retro-match"), "alert_id": f"al-{n}", "state": "new"})
    feed(view, topics.ALERTS, {**example("alerts", "retro-match"), "alert_id": "al-3", "state": "accepted"})
    shown = view.snapshot(privileged=False)["alerts"]
    assert [a["alert_id"] for a in shown] == ["al-2", "al-4", "al-3"]
    assert shown[-1]["state"] == "accepted"


def test_a_lockdown_shows_its_plan_s_points_and_which_are_staffed() -> None:
    view = DeskView()
    raised = example("lockdowns", "raised-lotus-pond-on-foot-three-rings")
    feed(view, topics.LOCKDOWNS, raised)
    core = next(r for r in raised["plan"]["rings"] if r["ring"] == "core")["required"]
    staffed = {**example("lockdowns", "point_staffed-first-core-point"), "lockdown_id": raised["lockdown_id"]}
    change = feed(view, topics.LOCKDOWNS, {**staffed, "point_id": core[0]})
    assert change.kind == "lockdown" and change.data["lockdown_id"] == raised["lockdown_id"]
    assert change.data["points"]["core"] == {"required": core, "staffed": [core[0]]}
    assert change.data["type"] == "point_staffed"
    [shown] = view.snapshot(privileged=False)["lockdowns"]
    assert shown["points"]["core"]["staffed"] == [core[0]]


def test_incidents_units_and_answers_are_kept_by_id() -> None:
    view = DeskView()
    incident = example("incidents", "lotus-pond-closed-all-captured-units-sent")
    assert feed(view, topics.INCIDENTS, incident).kind == "incident"
    unit = example("units.state", "en-route")
    assert feed(view, topics.UNITS_STATE, unit).kind == "unit"
    answer = example("command.results", "accept-applied")
    assert feed(view, topics.COMMAND_RESULTS, answer).kind == "answer"
    snapshot = view.snapshot(privileged=False)
    assert [i["incident_id"] for i in snapshot["incidents"]] == [incident["incident_id"]]
    assert [u["unit_id"] for u in snapshot["units"]] == [unit["unit_id"]]


def test_what_is_no_record_of_its_topic_is_skipped_and_counted() -> None:
    view = DeskView()
    for bad in (
        b"{broken",
        b"[1]",
        orjson.dumps({"no_id": 1}),
        orjson.dumps({"alert_id": 7}),
        b"x" * 2_000_000,
    ):
        assert feed(view, topics.ALERTS, bad) is None
    assert feed(view, topics.ALERTS, None) is None  # a tombstone: nothing to show, not an error
    assert view.skipped == 5 and view.snapshot(privileged=True)["alerts"] == []
