"""streams/domain/forces/study.py: the workstation study on hand-made roads (each step checkable by hand)
and on the synthetic city (reproducible, and the comparison means what it says)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.domain.forces.study import (
    OUTSIDE,
    PRECINCTS,
    Call,
    Post,
    StudySettings,
    answer,
    compare,
    day_of_calls,
    posts,
)
from streams.domain.forces.travel import VEHICLE_MPS, RoadGraph
from tests.unit.domain.forces.test_travel import RIVER, at
from tests.unit.worker.command_side.harness import default_topology

START = datetime(2026, 12, 1, tzinfo=UTC)
GRAPH = RoadGraph.of(RIVER)
STEP_M = 94.0  # one x step of the hand-made roads, metres (about)


def call(n: int, minutes: float, place: tuple[float, float], area: str = "WS-N") -> Call:
    return Call(f"c{n}", START + timedelta(minutes=minutes), place, "theft", area)


def test_each_call_gets_the_unit_soonest_there_by_road_after_the_handling_time() -> None:
    settings = StudySettings(handling_s=60.0, service_mean_s=600.0)
    units = [Post("ACROSS", "motor_patrol", at(0, 0)), Post("WS-N-U1", "workstation_unit", at(20, 10))]
    [timeline] = answer([call(0, 0, at(0, 10))], units, GRAPH, settings)
    # The unit across the river is nearer as the crow flies; the one on this bank gets there first.
    assert timeline.first_unit_kind == "workstation_unit"
    assert timeline.dispatch_delay_s == 60.0
    assert timeline.response_s == pytest.approx(60.0 + 20 * STEP_M / VEHICLE_MPS, rel=0.02)
    assert timeline.closed_at is not None and timeline.on_scene_at is not None
    assert timedelta(minutes=5) <= timeline.closed_at - timeline.on_scene_at <= timedelta(hours=2)


def test_a_busy_unit_is_not_sent_and_a_call_nobody_is_free_for_waits() -> None:
    settings = StudySettings(handling_s=0.0, service_mean_s=3600.0)
    units = [Post("ONLY", "motor_patrol", at(0, 10))]
    first, second = answer([call(0, 0, at(0, 10)), call(1, 1, at(0, 10))], units, GRAPH, settings)
    assert first.response_s == pytest.approx(0.0, abs=1.0)  # right there
    assert second.dispatched_at is not None and first.closed_at is not None
    assert second.dispatched_at == first.closed_at  # it waited for the only unit to come free
    # With no unit at all the call is never answered (and counts as such).
    [unanswered] = answer([call(2, 0, at(0, 10))], [], GRAPH, settings)
    assert unanswered.on_scene_at is None and unanswered.response_s is None


def test_a_unit_back_at_its_post_starts_from_there_again() -> None:
    settings = StudySettings(handling_s=0.0, service_mean_s=300.0)  # every service is 5 to ~60 min
    units = [Post("U", "motor_patrol", at(0, 10))]
    first, later = answer([call(0, 0, at(20, 10)), call(1, 600, at(0, 10))], units, GRAPH, settings)
    assert first.response_s == pytest.approx(20 * STEP_M / VEHICLE_MPS, rel=0.02)
    assert later.response_s == pytest.approx(0.0, abs=1.0)  # hours later: back home, where the call is


def test_the_day_is_reproducible_and_follows_the_hours() -> None:
    topology = default_topology()
    settings = StudySettings(calls=400)
    day = day_of_calls(topology, START, settings)
    assert day == day_of_calls(topology, START, settings)
    assert len(day) == 400 and day == sorted(day, key=lambda c: c.at)
    assert all(START <= c.at < START + timedelta(days=1) for c in day)
    night = sum(1 for c in day if 2 <= c.at.hour < 5)
    evening = sum(1 for c in day if 18 <= c.at.hour < 21)
    assert evening > 3 * night
    assert {c.area for c in day} >= {OUTSIDE, "WS-01"}
    assert day != day_of_calls(topology, START, StudySettings(calls=400, seed=7))


def test_posts_are_the_patrols_and_every_workstation_s_units() -> None:
    found = posts(default_topology(), StudySettings(patrols=43, units_per_workstation=2))
    assert sum(p.kind == "motor_patrol" for p in found) == 43
    assert sum(p.kind == "workstation_unit" for p in found) == 2 * 15
    assert len({p.unit_id for p in found}) == len(found)


def test_with_and_without_the_workstations_units_on_the_same_calls() -> None:
    rows = {r.area: r for r in compare(default_topology(), START, StudySettings(calls=300))}
    assert list(rows)[-2:] == [PRECINCTS, "all"]
    inside = rows[PRECINCTS]
    # The same calls both times; without the workstations no workstation unit answers any.
    assert inside.with_workstations.calls == inside.without_workstations.calls == inside.calls
    assert rows["all"].calls == 300
    assert rows["all"].without_workstations.workstation_share == 0.0
    assert (inside.with_workstations.workstation_share or 0) > 0.3
    # More units nearby can only help in this model: the precincts are answered sooner with them.
    sooner = inside.sooner_s("median")
    assert sooner is not None and sooner > 0
    assert inside.sooner_s("p90") is not None
