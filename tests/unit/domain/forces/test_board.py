"""streams/domain/forces/board.py: unit state from reports and dispatches, arrival, and proposals, on
hand-made timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.domain.forces.board import (
    STALE_AFTER,
    Task,
    UnitState,
    apply_report,
    dispatch,
    propose,
    release,
    set_off_duty,
)
from streams.domain.forces.travel import RoadGraph
from streams.domain.forces.units import Unit
from streams.domain.incidents.reports import Report
from tests.unit.domain.forces.test_travel import RIVER, at

T0 = datetime(2026, 7, 22, 0, 12, tzinfo=UTC)
SCENE = at(0, 10)


def report(
    unit_id: str, minutes: float, place: tuple[float, float] | None, kind: str = "position", **more: object
) -> Report:
    fields: dict[str, object] = {
        "report_id": f"{unit_id}-{minutes}",
        "unit_id": unit_id,
        "unit_kind": "patrol_car",
        "kind": kind,
        "at": T0 + timedelta(minutes=minutes),
        "lon": None if place is None else place[0],
        "lat": None if place is None else place[1],
        "address": None,
        "point_id": None,
        "incident_id": None,
        "count": None,
        "plate": None,
        "text": None,
    }
    return Report(**{**fields, **more})  # type: ignore[arg-type]


def task(minutes: float = 0, **more: object) -> Task:
    return Task(
        **{
            "dispatch_id": "d-1",
            "place": SCENE,
            "dispatched_at": T0 + timedelta(minutes=minutes),
            "incident_id": "inc-1",
            **more,
        }
    )  # type: ignore[arg-type]


def test_a_dispatched_unit_goes_en_route_then_on_scene_with_its_response_time() -> None:
    state, _ = apply_report(None, report("MP-07", -5, at(30, 10)))
    state = dispatch(state, "MP-07", task())
    assert state.status == "dispatched"
    state, events = apply_report(state, report("MP-07", 1, at(15, 10)))
    assert state.status == "en_route" and events == []
    state, [arrived] = apply_report(state, report("MP-07", 3.5, at(1, 10)))  # ~94 m from the scene
    assert (
        state.status == "on_scene"
        and state.task is not None
        and state.task.arrived_at == T0 + timedelta(minutes=3.5)
    )
    assert (arrived.unit_id, arrived.dispatch_id, arrived.incident_id, arrived.response_s) == (
        "MP-07",
        "d-1",
        "inc-1",
        210,
    )
    # Further reports at the scene do not arrive it twice.
    state, again = apply_report(state, report("MP-07", 4, SCENE))
    assert again == [] and state.status == "on_scene"
    assert release(state, "MP-07").status == "available" and release(state, "MP-07").task is None


def test_arrived_at_the_point_it_was_sent_to_counts_wherever_the_radio_says_it_is() -> None:
    state = dispatch(None, "WS03-F1", task(point_id="BP-017"))
    state, events = apply_report(
        state, report("WS03-F1", 2, None, kind="arrived_at_point", point_id="BP-099")
    )
    assert events == [] and state.status == "en_route"  # another point: not there yet
    state, [arrived] = apply_report(
        state, report("WS03-F1", 6, None, kind="arrived_at_point", point_id="BP-017")
    )
    assert arrived.point_id == "BP-017" and arrived.response_s == 360 and state.position is None


def test_a_report_from_before_the_dispatch_or_older_than_the_position_changes_neither() -> None:
    state, _ = apply_report(None, report("MP-07", 10, at(30, 10)))
    state = dispatch(state, "MP-07", task(minutes=10))
    late, events = apply_report(state, report("MP-07", 9, SCENE))  # sent before the dispatch, delivered late
    assert events == [] and late.position == at(30, 10) and late.status == "dispatched"


def test_positions_go_stale_and_off_duty_is_the_desks() -> None:
    state, _ = apply_report(None, report("MP-07", 0, at(5, 10)))
    assert not state.stale(T0 + STALE_AFTER) and state.stale(T0 + STALE_AFTER + timedelta(seconds=1))
    assert UnitState("NEW").stale(T0)
    off = set_off_duty(dispatch(state, "MP-07", task()), "MP-07", True)
    assert off.status == "off_duty" and off.task is None
    assert set_off_duty(off, "MP-07", False).status == "available"
    assert set_off_duty(state, "MP-07", False) == state


def unit(unit_id: str, *capabilities: str, home: str = "N20", status: str = "active") -> Unit:
    return Unit(unit_id, "motor_patrol", home, frozenset(capabilities), status=status)


def test_the_proposal_is_the_soonest_by_road_of_the_available_suitable_units() -> None:
    graph = RoadGraph.of(RIVER)
    homes = {p.id: p.location for p in RIVER.points.values()}
    now = T0 + timedelta(minutes=1)
    states = {
        "ACROSS": apply_report(None, report("ACROSS", 0, at(0, 0)))[0],  # nearest as the crow flies
        "ALONG": apply_report(None, report("ALONG", 0, at(20, 10)))[0],
        "OLD": apply_report(None, report("OLD", -30, at(30, 10)))[0],  # stale, still placed
        "BUSY": dispatch(apply_report(None, report("BUSY", 0, at(1, 10)))[0], "BUSY", task()),
        "OFF": set_off_duty(apply_report(None, report("OFF", 0, at(1, 10)))[0], "OFF", True),
    }
    units = [
        unit("ACROSS", "vehicle", "armed"),
        unit("ALONG", "vehicle", "armed"),
        unit("OLD", "vehicle", "armed"),
        unit("BUSY", "vehicle", "armed"),
        unit("OFF", "vehicle", "armed"),
        unit("HOME", "vehicle", "armed", home="N10"),  # never reported: at its home point
        unit("NOWHERE", "vehicle", "armed", home="XX"),  # no report and no home on the map
        unit("GONE", "vehicle", "armed", status="retired"),
        unit("UNARMED", "vehicle"),
    ]
    proposals = propose(units, states, homes, graph, SCENE, now, count=4, needs=["armed"])
    assert [(p.unit.unit_id, p.position_from) for p in proposals] == [
        ("HOME", "home"),
        ("ALONG", "report"),
        ("OLD", "stale report"),
        ("ACROSS", "report"),
    ]
    assert [p.journey.travel_s for p in proposals] == sorted(p.journey.travel_s for p in proposals)
    anyone = {p.unit.unit_id for p in propose(units, states, homes, graph, SCENE, now, count=9)}
    assert anyone == {"HOME", "ALONG", "OLD", "ACROSS", "UNARMED"}  # without needs, the unarmed unit too


def test_without_needs_any_capability_will_do_and_the_count_is_kept() -> None:
    graph = RoadGraph.of(RIVER)
    homes = {p.id: p.location for p in RIVER.points.values()}
    units = [unit(f"U{n}", "foot", home=home) for n, home in enumerate(["N0", "N10", "S0", "S40"])]
    proposals = propose(units, {}, homes, graph, SCENE, T0, count=2)
    assert [p.unit.unit_id for p in proposals] == ["U0", "U1"]
    assert proposals[0].journey.road_m == pytest.approx(0.0, abs=0.1)
