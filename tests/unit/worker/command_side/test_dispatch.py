"""Dispatch on the command side (issue 19.3): registered units, a call's proposal ranked by road, the
operator's `dispatch` (one key, or named units, or to a point), arrival closing the loop on the incident
with the response time, release by the operator or by the incident closing. Records in → records out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from streams import topics
from streams.domain.forces.travel import Candidate, RoadGraph, rank
from tests.unit.test_contracts import validator
from tests.unit.worker.command_side.harness import CommandSide, Record, default_topology, only
from tests.unit.worker.command_side.test_router import CALL, CALL_AT, command, example

SCENE = (CALL["place"]["lon"], CALL["place"]["lat"])


def registered(unit_id: str, *capabilities: str, kind: str = "motor_patrol") -> dict[str, Any]:
    return {
        **example(topics.UNITS, "motor-patrol"),
        "unit_id": unit_id,
        "kind": kind,
        "capabilities": list(capabilities),
        "home_workstation": next(
            p.id for p in default_topology().points.values() if p.kind == "street_workstation"
        ),
    }


def position(unit_id: str, place: tuple[float, float], minutes: float, n: int = 0) -> dict[str, Any]:
    return {
        **example(topics.PATROL_REPORTS, "position-minimal"),
        "report_id": f"{unit_id}-{minutes}-{n}",
        "unit_id": unit_id,
        "unit_kind": "patrol_car",
        "at": (CALL_AT + timedelta(minutes=minutes)).isoformat(),
        "place": {"lon": place[0], "lat": place[1]},
    }


def road_points(count: int) -> list[tuple[float, float]]:
    """Places of road points about 0.6, 1.2, 1.8 … km from the scene (the units' positions)."""
    topology = default_topology()
    found: list[tuple[float, float]] = []
    for ring_m in (600 * (i + 1) for i in range(count)):
        point, _ = min(
            ((p, abs(_metres(p.location) - ring_m)) for p in topology.points.values()), key=lambda x: x[1]
        )
        found.append(point.location)
    return found


def _metres(place: tuple[float, float]) -> float:
    from streams.domain.geography import geo

    return geo.distance_m(place, SCENE)


def valid(out: list[Record]) -> list[Record]:
    for record in out:
        schema = {
            topics.INCIDENTS: "incidents",
            topics.UNITS_STATE: "units.state",
            topics.DISPATCHES: "dispatches",
            topics.COMMAND_RESULTS: "command.results",
            topics.AUDIT: "audit",
        }.get(record.topic)
        if schema is not None:
            validator(schema).validate(record.value)
    return out


@pytest.fixture
def side() -> tuple[CommandSide, list[str]]:
    """Three registered units reported at known places: two armed, one not; the call (armed robbery,
    priority 1) needs armed units."""
    side = CommandSide()
    places = road_points(3)
    units = [("MP-A", "armed", "vehicle"), ("MP-B", "vehicle"), ("MP-C", "armed", "vehicle")]
    for (unit_id, *caps), place in zip(units, places, strict=True):
        side.feed(topics.UNITS, unit_id, registered(unit_id, *caps), now=CALL_AT)
        side.feed(topics.PATROL_REPORTS, unit_id, position(unit_id, place, -1), now=CALL_AT)
    graph = RoadGraph.of(default_topology())
    armed = [Candidate("MP-A", places[0], True), Candidate("MP-C", places[2], True)]
    expected = [j.unit_id for j in rank(graph, SCENE, armed, 3)]
    return side, expected


def open_call(side: CommandSide) -> dict[str, Any]:
    out = valid(side.feed(topics.CALLS, CALL["call_id"], CALL, now=CALL_AT + timedelta(seconds=5)))
    (incident,) = only(out, topics.INCIDENTS)
    return incident


def test_a_call_records_the_armed_units_soonest_by_road(side: tuple[CommandSide, list[str]]) -> None:
    command_side, expected = side
    incident = open_call(command_side)
    assert [p["unit_id"] for p in incident["proposal"]] == expected  # MP-B is unarmed: left out
    assert all(p["position_from"] == "report" for p in incident["proposal"])
    assert incident["dispatches"] == []


def test_one_key_sends_the_proposal_and_the_first_arrival_is_the_response_time(
    side: tuple[CommandSide, list[str]],
) -> None:
    command_side, expected = side
    incident = open_call(command_side)
    incident_id = incident["incident_id"]
    sent_at = CALL_AT + timedelta(minutes=1)
    order = command("dispatch", incident_id, at=sent_at, command_id="cmd-d1", reason_code="proposal")
    out = valid(command_side.feed(topics.OPERATOR_COMMANDS, incident_id, order, now=sent_at))
    (answer,) = only(out, topics.COMMAND_RESULTS)
    assert answer["outcome"] == "applied"
    assert answer["effect"].startswith(f"sent {expected[0]} (~") and incident_id in answer["effect"]
    dispatched = only(out, topics.DISPATCHES, event="dispatched")
    assert [d["unit_id"] for d in dispatched] == expected
    assert all(d["command_id"] == "cmd-d1" and d["estimate"]["travel_s"] > 0 for d in dispatched)
    assert {s["unit_id"]: s["status"] for s in only(out, topics.UNITS_STATE)} == dict.fromkeys(
        expected, "dispatched"
    )
    (updated,) = only(out, topics.INCIDENTS)
    assert [e["unit_id"] for e in updated["dispatches"]] == expected
    (audit,) = only(out, topics.AUDIT, action="units_dispatched")
    assert [u["unit_id"] for u in audit["after"]["units"]] == expected

    # The first unit radios from the scene 6 minutes after the call: on scene, the loop closed.
    first = expected[0]
    there = valid(
        command_side.feed(
            topics.PATROL_REPORTS, first, position(first, SCENE, 6), now=CALL_AT + timedelta(minutes=6)
        )
    )
    (arrived,) = only(there, topics.DISPATCHES, event="arrived")
    assert (arrived["unit_id"], arrived["travel_s"]) == (first, 300.0)  # sent at +1 min, there at +6
    assert only(there, topics.UNITS_STATE)[0]["status"] == "on_scene"
    (closed_loop,) = only(there, topics.INCIDENTS)
    assert closed_loop["dispatches"][0]["arrived_at"] == (CALL_AT + timedelta(minutes=6)).isoformat()
    histogram = command_side.metrics.response_time.labels("1")
    assert _observed(histogram) == (1, 360.0)  # received → first unit on scene
    # The second arrival is on its entry, but the response time was the first's.
    second = expected[1]
    command_side.feed(
        topics.PATROL_REPORTS, second, position(second, SCENE, 9), now=CALL_AT + timedelta(minutes=9)
    )
    assert _observed(histogram) == (1, 360.0)


def test_named_units_to_a_point_and_release(side: tuple[CommandSide, list[str]]) -> None:
    command_side, _ = side
    point = next(p for p in default_topology().points.values() if p.kind == "blockade_point")
    at = CALL_AT + timedelta(minutes=2)
    order = command("dispatch", point.id, at=at, command_id="cmd-p", units=["MP-B"])
    out = valid(command_side.feed(topics.OPERATOR_COMMANDS, point.id, order, now=at))
    assert only(out, topics.COMMAND_RESULTS)[0]["outcome"] == "applied"
    (sent,) = only(out, topics.DISPATCHES, event="dispatched")
    assert (sent["unit_id"], sent["point_id"], sent["incident_id"]) == ("MP-B", point.id, None)
    assert only(out, topics.INCIDENTS) == []
    release = command("release_unit", "MP-B", at=at, command_id="cmd-r", reason_code="called_off")
    back = valid(command_side.feed(topics.OPERATOR_COMMANDS, "MP-B", release, now=at))
    (released,) = only(back, topics.DISPATCHES, event="released")
    assert (released["dispatch_id"], released["reason"]) == (sent["dispatch_id"], "called_off")
    assert only(back, topics.UNITS_STATE)[0]["status"] == "available"
    assert only(back, topics.AUDIT, action="unit_released")


@pytest.mark.parametrize(
    ("target", "changes", "why"),
    [
        ("inc-ffffffffffffffffffff", {}, "no incident and no point"),
        (None, {"units": ["MP-Z"]}, "MP-Z is not in the unit registry"),
    ],
)
def test_a_dispatch_that_cannot_go_is_refused_and_sends_nobody(
    side: tuple[CommandSide, list[str]], target: str | None, changes: dict[str, Any], why: str
) -> None:
    command_side, _ = side
    target = target or open_call(command_side)["incident_id"]
    at = CALL_AT + timedelta(minutes=1)
    order = command("dispatch", target, at=at, command_id="cmd-x", **changes)
    out = valid(command_side.feed(topics.OPERATOR_COMMANDS, target, order, now=at))
    (answer,) = only(out, topics.COMMAND_RESULTS)
    assert answer["outcome"] == "refused" and why in answer["reason"]["detail"]
    assert only(out, topics.DISPATCHES) == [] and only(out, topics.UNITS_STATE) == []


def test_releasing_a_unit_without_a_task_is_refused(side: tuple[CommandSide, list[str]]) -> None:
    command_side, _ = side
    at = CALL_AT + timedelta(minutes=1)
    order = command("release_unit", "MP-A", at=at, command_id="cmd-r0")
    (answer,) = only(
        command_side.feed(topics.OPERATOR_COMMANDS, "MP-A", order, now=at), topics.COMMAND_RESULTS
    )
    assert answer["outcome"] == "refused" and "no task" in answer["reason"]["detail"]


def test_the_incident_closing_releases_its_units(side: tuple[CommandSide, list[str]]) -> None:
    command_side, expected = side
    incident_id = open_call(command_side)["incident_id"]
    at = CALL_AT + timedelta(minutes=1)
    order = command("dispatch", incident_id, at=at, command_id="cmd-d2")
    command_side.feed(topics.OPERATOR_COMMANDS, incident_id, order, now=at)
    capture = {
        **example(topics.PATROL_REPORTS, "suspect-captured-one-address-null"),
        "report_id": "cap-1",
        "unit_id": expected[0],
        "incident_id": incident_id,
        "count": 5,
        "at": (at + timedelta(minutes=20)).isoformat(),
    }
    out = valid(
        command_side.feed(topics.PATROL_REPORTS, expected[0], capture, now=at + timedelta(minutes=20))
    )
    (closed,) = [i for i in only(out, topics.INCIDENTS) if i["status"] == "closed"]
    assert closed["closed_at"] == capture["at"]
    released = only(out, topics.DISPATCHES, event="released", reason="incident_closed")
    assert sorted(r["unit_id"] for r in released) == sorted(expected)
    assert {s["status"] for s in only(out, topics.UNITS_STATE) if s["unit_id"] in expected} == {"available"}


def test_registry_records_are_checked_and_a_tombstone_removes_the_unit() -> None:
    command_side = CommandSide()
    bad = {**registered("MP-A", "vehicle"), "kind": "tank"}
    out = command_side.feed(topics.UNITS, "MP-A", bad, now=CALL_AT)
    assert only(out, topics.DEADLETTER) and "MP-A" not in command_side.tables[topics.UNIT_REGISTRY_TABLE]
    mismatch = command_side.feed(topics.UNITS, "MP-Z", registered("MP-A", "vehicle"), now=CALL_AT)
    assert only(mismatch, topics.DEADLETTER)[0]["reason"]["code"] == "key_mismatch"
    command_side.feed(topics.UNITS, "MP-A", registered("MP-A", "vehicle"), now=CALL_AT)
    assert "MP-A" in command_side.tables[topics.UNIT_REGISTRY_TABLE]
    command_side.feed(topics.UNITS, "MP-A", None, now=CALL_AT)
    assert "MP-A" not in command_side.tables[topics.UNIT_REGISTRY_TABLE]


def _observed(histogram: Any) -> tuple[float, float]:
    samples = {s.name: s.value for metric in histogram.collect() for s in metric.samples}
    return samples["citygate_response_seconds_count"], samples["citygate_response_seconds_sum"]


def test_each_tick_publishes_the_units_by_status(side: tuple[CommandSide, list[str]]) -> None:
    command_side, expected = side
    incident_id = open_call(command_side)["incident_id"]
    at = CALL_AT + timedelta(minutes=1)
    command_side.feed(topics.OPERATOR_COMMANDS, incident_id, command("dispatch", incident_id, at=at), now=at)
    command_side.tick(at)
    gauge = command_side.metrics.units
    assert gauge.labels("dispatched")._value.get() == len(expected)
    assert gauge.labels("available")._value.get() == 3 - len(expected)
    assert command_side.metrics.units_stale._value.get() == 0
    command_side.tick(at + timedelta(minutes=30))  # nobody has reported since: every position is stale
    assert command_side.metrics.units_stale._value.get() == 3
    command_side.units.clear_gauges()
    assert gauge.labels("dispatched")._value.get() == 0


def test_an_incident_nobody_could_go_to_is_proposed_for_again_once_a_unit_changes() -> None:
    """The call needs armed units and only an unarmed one is registered: no proposal. A repeat call
    updates the incident without asking the board again (nothing changed); once an armed unit registers,
    the next update records it."""
    command_side = CommandSide()
    command_side.feed(topics.UNITS, "MP-B", registered("MP-B", "vehicle"), now=CALL_AT)
    asked: list[str] = []
    propose = command_side.units.propose

    def counting(incident: Any, now: Any) -> Any:
        asked.append(incident.incident_id)
        return propose(incident, now)

    command_side.units.propose = counting  # type: ignore[method-assign]
    incident = open_call(command_side)
    assert incident["proposal"] == [] and len(asked) == 1
    again = {**CALL, "call_id": "call-repeat-1", "received_at": (CALL_AT + timedelta(minutes=1)).isoformat()}
    out = command_side.feed(topics.CALLS, again["call_id"], again, now=CALL_AT + timedelta(minutes=1))
    (updated,) = only(out, topics.INCIDENTS)
    assert updated["incident_id"] == incident["incident_id"] and updated["proposal"] == []
    assert len(asked) == 1
    command_side.feed(topics.UNITS, "MP-A", registered("MP-A", "armed", "vehicle"), now=CALL_AT)
    third = {**again, "call_id": "call-repeat-2", "received_at": (CALL_AT + timedelta(minutes=2)).isoformat()}
    out = command_side.feed(topics.CALLS, third["call_id"], third, now=CALL_AT + timedelta(minutes=2))
    (updated,) = only(out, topics.INCIDENTS)
    assert [p["unit_id"] for p in updated["proposal"]] == ["MP-A"] and len(asked) == 2
