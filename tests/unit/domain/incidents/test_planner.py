"""The lockdown planner on a small hand-made city: three concentric squares around (119.43, 32.39)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.domain.geography.topology import RING_ORDER, Point, Ring, Topology
from streams.domain.incidents.planner import escalation, plan_lockdown

CENTRE = (119.43, 32.39)
T0 = datetime(2026, 8, 2, 12, 0, tzinfo=UTC)  # 20:00 in Yangzhou
HALF_SIDES_DEG = {
    "core": 0.03,
    "urban": 0.1,
    "city": 0.5,
}  # ≈ 2.8 km, 9.4 km, 47 km half-widths (north-south)


def square(half: float) -> tuple[tuple[float, float], ...]:
    lon, lat = CENTRE
    return (
        (lon - half, lat - half),
        (lon + half, lat - half),
        (lon + half, lat + half),
        (lon - half, lat + half),
    )


def small_city() -> Topology:
    rings = [Ring(name, square(half)) for name, half in HALF_SIDES_DEG.items()]
    points = []
    for name, half in HALF_SIDES_DEG.items():
        for n, (dx, dy) in enumerate([(1, 0), (-1, 0), (0, 1), (0, -1)]):
            location = (CENTRE[0] + dx * half, CENTRE[1] + dy * half)
            points.append(Point(f"{name}-EC-{n}", "electronic_checkpoint", name, "ring road", location))
            points.append(Point(f"{name}-BP-{n}", "blockade_point", name, "ring road", location))
    for n, minutes in enumerate([1, 3, 5, 3, 5]):
        points.append(
            Point(
                f"RR-{n}",
                "rapid_response_point",
                "core",
                "",
                (CENTRE[0] + 0.01 * n, CENTRE[1]),
                response_minutes=minutes,
            )
        )
    return Topology.build(rings, points)


CITY = small_city()
places = st.tuples(st.floats(CENTRE[0] - 0.6, CENTRE[0] + 0.6), st.floats(CENTRE[1] - 0.6, CENTRE[1] + 0.6))
elapsed = st.floats(0, 3 * 3600)
modes = st.sampled_from(["foot", "vehicle", "unknown"])


def test_the_drill_closes_the_core_ring_at_once() -> None:
    """A knife robbery at the centre reported at once: the core ring can still hold; all three close."""
    plan = plan_lockdown(CITY, CENTRE, T0, "foot", T0 + timedelta(minutes=2))
    assert plan.ring_names == ("core", "urban", "city")
    assert not any(r.may_be_breached for r in plan.rings)
    assert set(plan.rings[0].points) == {f"core-{k}-{n}" for k in ("EC", "BP") for n in range(4)}
    assert [u.unit_id for u in plan.units][:2] == ["RR-0", "RR-1"]
    assert plan.units[0].deadline == plan.planned_at + timedelta(minutes=1)
    assert all(u.to_point in plan.rings[0].points for u in plan.units)


def test_a_late_report_of_a_car_skips_the_rings_it_may_have_left() -> None:
    plan = plan_lockdown(CITY, CENTRE, T0, "vehicle", T0 + timedelta(minutes=8))
    assert plan.ring_names == (
        "city",
    )  # 8 min at 60 km/h: 8 km, past core (2.8 km) and urban (9.4 km) by staffing
    assert not plan.rings[0].may_be_breached


def test_when_nothing_can_hold_the_city_ring_still_closes_as_the_last_resort() -> None:
    plan = plan_lockdown(CITY, CENTRE, T0, "vehicle", T0 + timedelta(hours=2))
    assert plan.ring_names == ("city",) and plan.rings[0].may_be_breached


def test_a_place_outside_every_ring_closes_nothing() -> None:
    plan = plan_lockdown(CITY, (CENTRE[0] + 1.0, CENTRE[1]), T0, "foot", T0)
    assert plan.rings == ()


@given(places, elapsed, modes)
def test_a_closed_ring_implies_every_ring_outside_it_is_closed(place, seconds, mode) -> None:
    plan = plan_lockdown(CITY, place, T0, mode, T0 + timedelta(seconds=seconds))
    around = CITY.rings_around(place)
    assert list(plan.ring_names) == around[len(around) - len(plan.rings) :]  # a suffix, innermost first
    assert bool(plan.rings) == bool(around)


@given(places, elapsed, modes)
def test_every_closed_ring_but_the_last_resort_encloses_the_reachable_area(place, seconds, mode) -> None:
    now = T0 + timedelta(seconds=seconds)
    plan = plan_lockdown(CITY, place, T0, mode, now)
    for ring in plan.rings[:-1]:
        assert not ring.may_be_breached
        assert ring.boundary_distance_m > plan.reach_m


@given(places, elapsed, st.floats(1, 3600), modes)
def test_waiting_never_moves_the_innermost_ring_inward(place, seconds, later, mode) -> None:
    first = plan_lockdown(CITY, place, T0, mode, T0 + timedelta(seconds=seconds))
    second = plan_lockdown(CITY, place, T0, mode, T0 + timedelta(seconds=seconds + later))
    if first.rings and second.rings:
        assert RING_ORDER.index(second.rings[0].ring) >= RING_ORDER.index(first.rings[0].ring)


@given(places, elapsed, modes)
def test_same_inputs_same_plan(place, seconds, mode) -> None:
    now = T0 + timedelta(seconds=seconds)
    assert plan_lockdown(CITY, place, T0, mode, now) == plan_lockdown(small_city(), place, T0, mode, now)


@given(places, elapsed, modes)
def test_unit_deadlines_follow_response_minutes(place, seconds, mode) -> None:
    plan = plan_lockdown(CITY, place, T0, mode, T0 + timedelta(seconds=seconds))
    for unit in plan.units:
        assert unit.response_minutes in (1, 3, 5)
        assert unit.deadline - plan.planned_at == timedelta(minutes=unit.response_minutes)


@given(st.lists(st.floats(0, 4 * 3600), min_size=2, max_size=6), modes)
def test_escalation_only_moves_outward_and_never_gives_up_the_city_ring(times, mode) -> None:
    closed = ["core", "urban", "city"]
    given_up_so_far: list[str] = []
    for seconds in sorted(times):
        now = T0 + timedelta(seconds=seconds)
        given_up = escalation(CITY, CENTRE, T0, mode, closed, sealed=[], now=now)
        assert given_up[: len(given_up_so_far)] == given_up_so_far  # only grows, from the inside out
        assert "city" not in given_up
        given_up_so_far = given_up


def test_a_sealed_ring_is_never_given_up() -> None:
    now = T0 + timedelta(hours=1)
    assert escalation(CITY, CENTRE, T0, "vehicle", ["core", "urban", "city"], sealed=[], now=now) == [
        "core",
        "urban",
    ]
    assert escalation(CITY, CENTRE, T0, "vehicle", ["core", "urban", "city"], sealed=["core"], now=now) == []


def test_unknown_flight_mode_is_a_bug() -> None:
    with pytest.raises(ValueError, match="flight mode"):
        plan_lockdown(CITY, CENTRE, T0, "teleport", T0)
