"""streams/domain/forces/dispatching.py: proposals for incidents, the dispatch command's choice (the
proposal or named units), the records it makes, arrivals on the incident, and the timeline accounting reads.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from streams.domain.commands import OperatorCommand
from streams.domain.exceptions import InvalidInput
from streams.domain.forces import dispatching
from streams.domain.forces.accounting import timeline_of
from streams.domain.forces.board import UnitState, apply_report, release, set_off_duty
from streams.domain.forces.dispatching import Target, choose, propose_for, send
from streams.domain.forces.travel import RoadGraph
from streams.domain.forces.units import Unit
from streams.domain.incidents.lifecycle import Incident
from tests.unit.domain.forces.test_board import T0, report
from tests.unit.domain.forces.test_travel import RIVER, at

GRAPH = RoadGraph.of(RIVER)
HOMES = {"N40": at(40, 10)}
SCENE = at(0, 10)  # the north bank's west end: the unit across the river is nearer but slower


def unit(unit_id: str, *capabilities: str, kind: str = "motor_patrol", status: str = "active") -> Unit:
    return Unit(unit_id, kind, "N40", frozenset(capabilities or ("vehicle",)), status=status)


REGISTRY = {
    u.unit_id: u
    for u in (
        unit("P-ACROSS", "vehicle", "armed"),  # south bank, 1.1 km away over the water
        unit("P-ALONG", "vehicle"),  # north bank, 1.9 km along the road
        unit("P-FAR", "vehicle", "armed"),  # north bank, 3.8 km
        unit("P-HOME", "vehicle", kind="workstation_unit"),  # never reported: at its home N40
        unit("P-OLD", "vehicle", status="retired"),
    )
}


def states() -> dict[str, UnitState]:
    out = {}
    for unit_id, place in (("P-ACROSS", at(0, 0)), ("P-ALONG", at(20, 10)), ("P-FAR", at(40, 10))):
        out[unit_id], _ = apply_report(None, report(unit_id, -1, place))
    return out


def incident(priority: int = 3, armed: bool = False, **more: object) -> Incident:
    fields: dict[str, object] = {
        "incident_id": "inc-00000000000000000001",
        "category": "theft",
        "status": "open",
        "priority": priority,
        "lon": SCENE[0],
        "lat": SCENE[1],
        "address": "",
        "started_at": (T0 - timedelta(minutes=2)).isoformat(),
        "updated_at": T0.isoformat(),
        "flight_mode": "foot",
        "suspects": 1,
        "captured": 0,
        "armed": armed,
        "call_ids": ("110-1",),
        "plates": (),
        **more,
    }
    return Incident(**fields)  # type: ignore[arg-type]


def command(
    *units: str, command_id: str = "cmd-1", target: str = "inc-00000000000000000001"
) -> OperatorCommand:
    return OperatorCommand(command_id, "dispatch", target, "op-1", T0, None, None, tuple(units))


def test_a_new_incident_s_proposal_is_its_priority_s_count_soonest_by_road() -> None:
    rows = propose_for(incident(priority=3), REGISTRY.values(), states(), HOMES, GRAPH, T0)
    assert [r["unit_id"] for r in rows] == ["P-ALONG"]  # not P-ACROSS, nearer as the crow flies
    rows = propose_for(incident(priority=2), REGISTRY.values(), states(), HOMES, GRAPH, T0)
    assert [r["unit_id"] for r in rows] == ["P-ALONG", "P-FAR"]  # P-ACROSS: 8.6 km round by the bridge
    assert rows[0]["position_from"] == "report" and float(rows[0]["travel_s"]) > 0  # type: ignore[arg-type]
    # Armed suspects: armed units only, whatever is nearer.
    armed = propose_for(incident(priority=2, armed=True), REGISTRY.values(), states(), HOMES, GRAPH, T0)
    assert [r["unit_id"] for r in armed] == ["P-FAR", "P-ACROSS"]
    # A unit that never reported starts from its home workstation; a retired one is never proposed.
    everyone = propose_for(incident(priority=1), REGISTRY.values(), {}, HOMES, GRAPH, T0)
    assert {r["position_from"] for r in everyone} == {"home"}
    assert "P-OLD" not in {r["unit_id"] for r in everyone}


def test_one_key_sends_the_recorded_proposal_skipping_units_taken_since() -> None:
    now = T0 + timedelta(minutes=1)
    proposed = incident(priority=2)
    proposed = replace(
        proposed, proposal=propose_for(proposed, REGISTRY.values(), states(), HOMES, GRAPH, T0)
    )
    target = Target(SCENE, incident=proposed)
    chosen = choose(command(), target, REGISTRY, states(), HOMES, GRAPH, now)
    assert [u.unit_id for u, _, _ in chosen] == ["P-ALONG", "P-FAR"]
    # P-ALONG was sent elsewhere meanwhile: only P-FAR of the proposal goes.
    busy = states()
    busy["P-ALONG"] = replace(busy["P-ALONG"], status="dispatched")
    assert [u.unit_id for u, _, _ in choose(command(), target, REGISTRY, busy, HOMES, GRAPH, now)] == [
        "P-FAR"
    ]
    # None of the proposal is free: a proposal made now, from whoever is.
    for taken in ("P-FAR",):
        busy[taken] = replace(busy[taken], status="on_scene")
    fresh = choose(command(), target, REGISTRY, busy, HOMES, GRAPH, now)
    assert [u.unit_id for u, _, _ in fresh] == ["P-HOME", "P-ACROSS"]


def test_named_units_go_if_they_can_and_a_busy_one_is_retasked() -> None:
    target = Target(SCENE, incident=incident())
    busy = states()
    busy["P-FAR"] = replace(busy["P-FAR"], status="on_scene")
    [(chosen, journey, source)] = choose(command("P-FAR"), target, REGISTRY, busy, HOMES, GRAPH, T0)
    assert chosen.unit_id == "P-FAR" and source == "report" and journey is not None
    for named, why in (
        ("P-NONE", "not in the unit registry"),
        ("P-OLD", "retired"),
    ):
        with pytest.raises(InvalidInput, match=why):
            choose(command(named), target, REGISTRY, busy, HOMES, GRAPH, T0)
    off = {**busy, "P-ALONG": set_off_duty(busy["P-ALONG"], "P-ALONG", True)}
    with pytest.raises(InvalidInput, match="off duty"):
        choose(command("P-ALONG"), target, REGISTRY, off, HOMES, GRAPH, T0)


def test_nothing_to_send_is_refused_saying_what_was_needed() -> None:
    everyone_busy = {
        u: replace(s, status="dispatched") for u, s in {**states(), "P-HOME": UnitState("P-HOME")}.items()
    }
    with pytest.raises(InvalidInput, match="no available unit able to do armed can be sent"):
        choose(
            command(), Target(SCENE, incident=incident(armed=True)), REGISTRY, everyone_busy, HOMES, GRAPH, T0
        )
    # A point (point-to-point) without named units: the one nearest free unit.
    [(nearest, _, _)] = choose(
        command(target="N0"), Target(SCENE, point_id="N0"), REGISTRY, states(), HOMES, GRAPH, T0
    )
    assert nearest.unit_id == "P-ALONG"


def test_sending_tasks_each_unit_with_an_id_the_same_command_always_gives() -> None:
    now = T0 + timedelta(minutes=1)
    target = Target(SCENE, incident=incident())
    chosen = choose(command("P-ALONG", "P-HOME"), target, REGISTRY, states(), HOMES, GRAPH, now)
    sent = send(command("P-ALONG", "P-HOME"), target, chosen, states(), now)
    again = send(command("P-ALONG", "P-HOME"), target, chosen, states(), now)
    assert [s.record for s in sent] == [s.record for s in again]
    assert len({s.record["dispatch_id"] for s in sent}) == 2
    along, home = sent
    assert along.state.status == "dispatched" and along.state.task is not None
    assert along.state.task.incident_id == target.name and along.state.task.place == SCENE
    assert along.record["event"] == "dispatched" and along.record["estimate"] is not None
    assert home.record["estimate"]["position_from"] == "home"  # type: ignore[index]
    assert along.entry == {
        "dispatch_id": along.record["dispatch_id"],
        "unit_id": "P-ALONG",
        "unit_kind": "motor_patrol",
        "dispatched_at": now.isoformat(),
        "arrived_at": None,
    }
    assert "P-ALONG (~" in dispatching.summary(sent, target) and target.name in dispatching.summary(
        sent, target
    )
    assert (
        send(command("P-ALONG", command_id="cmd-2"), target, chosen[:1], states(), now)[0].record[
            "dispatch_id"
        ]
        != along.record["dispatch_id"]
    )


def test_arrival_goes_on_the_incident_once_and_the_timeline_reads_it() -> None:
    sent_at = T0 + timedelta(minutes=1)
    opened = incident()
    target = Target(SCENE, incident=opened)
    chosen = choose(command("P-ALONG", "P-HOME"), target, REGISTRY, states(), HOMES, GRAPH, sent_at)
    sent = send(command("P-ALONG", "P-HOME"), target, chosen, states(), sent_at)
    with_units = dispatching.with_dispatches(opened, [s.entry for s in sent], sent_at)
    assert dispatching.first_arrival(with_units) is None
    along = sent[0].state
    along, [arrived] = apply_report(along, report("P-ALONG", 5, SCENE))
    after = dispatching.with_arrival(with_units, arrived, sent_at + timedelta(minutes=4))
    assert after is not None and after.dispatches[0]["arrived_at"] == arrived.arrived_at.isoformat()
    assert dispatching.with_arrival(after, arrived, sent_at) is None  # known already
    assert dispatching.first_arrival(after) == T0 + timedelta(minutes=5)
    timeline = timeline_of(after, {"WS-W": at(0, 9), "WS-E": at(40, 9)})
    assert (timeline.area, timeline.first_unit_kind) == ("WS-W", "motor_patrol")
    assert timeline.dispatch_delay_s == 180.0  # received 2 min before T0, sent 1 min after
    assert timeline.response_s == 420.0  # received → first unit on scene
    assert timeline.closed_at is None
    closed = replace(
        after, status="closed", closed_reason="all_captured", closed_at=(T0 + timedelta(hours=1)).isoformat()
    )
    assert timeline_of(closed, {}).closed_at == T0 + timedelta(hours=1)
    assert release(along, "P-ALONG").status == "available"


def test_an_incident_takes_at_most_fifty_dispatches() -> None:
    full = incident(dispatches=tuple({"dispatch_id": f"d{i}"} for i in range(dispatching.MAX_DISPATCHES)))
    with pytest.raises(InvalidInput, match="50 units sent already"):
        choose(command("P-ALONG"), Target(SCENE, incident=full), REGISTRY, states(), HOMES, GRAPH, T0)
