"""The lockdown planner: which rings to close, which points to staff, which units to send.

From where and when the crime happened, how the suspects flee and what time it is now, the suspects can be
anywhere within `speed × (now − incident time)` of the place. A ring can still hold only if that reach, plus
the time the ring needs to be staffed, stays inside its boundary. The planner closes the innermost ring that
can still hold and every ring outside it (outer rings are the fallback when an inner one is breached); it
lists each ring's sealing points with the earliest moment the suspects could reach them, and sends the
nearest rapid-response units (1/3/5-minute points) with their ETAs and deadlines.

Pure and deterministic: same inputs, same plan. `escalation` re-checks a running lockdown: a ring that is not
sealed yet and that the suspects may already have crossed is given up, and the lockdown moves outward.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat
from streams.domain.geography.topology import MANNED_KINDS, RING_ORDER, Point, Topology

FLIGHT_MODES = ("foot", "vehicle", "unknown")
# Metres per second: a running person ≈ 6 km/h, a car in urban traffic ≈ 60 km/h; unknown means the worst.
SPEEDS_MPS = {"foot": 6 / 3.6, "vehicle": 60 / 3.6, "unknown": 60 / 3.6}


@dataclass(frozen=True, slots=True)
class PlannerSettings:
    # How long it takes to staff a ring's points once the order goes out, by ring.
    staffing: dict[str, timedelta] = field(
        default_factory=lambda: {
            "core": timedelta(minutes=5),
            "urban": timedelta(minutes=10),
            "city": timedelta(minutes=15),
        }
    )
    units: int = 8


@dataclass(frozen=True, slots=True)
class RingPlan:
    ring: str
    boundary_distance_m: float
    earliest_breach: datetime  # the first moment the suspects could reach this ring's boundary
    may_be_breached: bool  # staffing it cannot beat the suspects; closed as the last resort
    points: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnitAssignment:
    unit_id: str
    response_minutes: int
    distance_m: float
    eta: datetime
    deadline: datetime  # the unit's 1/3/5-minute commitment, counted from the plan
    to_point: str | None  # the sealing point of the innermost closed ring it goes to


@dataclass(frozen=True, slots=True)
class LockdownPlan:
    flight_mode: str
    speed_mps: float
    incident_time: datetime
    planned_at: datetime
    reach_m: float  # how far the suspects may be from the place at `planned_at`
    rings: tuple[RingPlan, ...]  # innermost first
    units: tuple[UnitAssignment, ...]

    @property
    def ring_names(self) -> tuple[str, ...]:
        return tuple(r.ring for r in self.rings)


def speed_of(flight_mode: str) -> float:
    if flight_mode not in SPEEDS_MPS:
        raise ValueError(f"unknown flight mode {flight_mode!r}")
    return SPEEDS_MPS[flight_mode]


def plan_lockdown(
    topology: Topology,
    place: LonLat,
    incident_time: datetime,
    flight_mode: str,
    now: datetime,
    settings: PlannerSettings = PlannerSettings(),  # noqa: B008
) -> LockdownPlan:
    """The rings to close around `place` and the units to send, as of `now`."""
    speed = speed_of(flight_mode)
    elapsed = max(timedelta(0), now - incident_time)
    around = topology.rings_around(place)  # innermost first; empty when the place is outside every ring
    ring_plans: list[RingPlan] = []
    chosen = False
    for name in around:
        ring = topology.rings[name]
        distance = ring.distance_to_boundary_m(place)
        staffed_by = elapsed + settings.staffing.get(name, timedelta(0))
        holds = speed * staffed_by.total_seconds() < distance
        if not holds and not chosen and name != around[-1]:
            continue  # too late for this ring; an outer one must do
        chosen = True
        ring_plans.append(
            RingPlan(
                ring=name,
                boundary_distance_m=round(distance, 1),
                earliest_breach=incident_time + timedelta(seconds=distance / speed),
                may_be_breached=not holds,
                points=tuple(p.id for p in topology.points_on(name)),
            )
        )
    units = _assign_units(topology, place, ring_plans[0] if ring_plans else None, now, settings.units)
    return LockdownPlan(
        flight_mode=flight_mode,
        speed_mps=speed,
        incident_time=incident_time,
        planned_at=now,
        reach_m=round(speed * elapsed.total_seconds(), 1),
        rings=tuple(ring_plans),
        units=units,
    )


def _assign_units(
    topology: Topology, place: LonLat, innermost: RingPlan | None, now: datetime, count: int
) -> tuple[UnitAssignment, ...]:
    targets: list[Point] = []
    if innermost is not None:
        # Units go where people are needed: manned points, not cameras.
        targets = sorted(
            (topology.points[pid] for pid in innermost.points if topology.points[pid].kind in MANNED_KINDS),
            key=lambda p: (geo.distance_m(place, p.location), p.id),
        )
    assignments = []
    for index, (unit, distance) in enumerate(topology.nearest(place, "rapid_response_point", count)):
        minutes = unit.response_minutes or 5
        target = targets[index % len(targets)].id if targets else None
        assignments.append(
            UnitAssignment(
                unit_id=unit.id,
                response_minutes=minutes,
                distance_m=round(distance, 1),
                eta=now + timedelta(minutes=minutes),
                deadline=now + timedelta(minutes=minutes),
                to_point=target,
            )
        )
    return tuple(assignments)


def escalation(
    topology: Topology,
    place: LonLat,
    incident_time: datetime,
    flight_mode: str,
    closed: Iterable[str],
    sealed: Iterable[str],
    now: datetime,
) -> list[str]:
    """Rings of a running lockdown to give up now: closed, not yet sealed, and possibly already crossed.

    Only ever the innermost closed rings (escalation moves outward), and never the outermost one: the city
    ring is held whatever happens, as the last line.
    """
    speed = speed_of(flight_mode)
    reach = speed * max(0.0, (now - incident_time).total_seconds())
    closed_rings = [name for name in RING_ORDER if name in set(closed)]
    sealed_rings = set(sealed)
    given_up = []
    for name in closed_rings[:-1]:
        if name in sealed_rings:
            break  # a sealed ring holds; nothing outside it needs to move
        if reach >= topology.rings[name].distance_to_boundary_m(place):
            given_up.append(name)
        else:
            break
    return given_up
