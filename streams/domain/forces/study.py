"""The workstation study: the seed's claim that street workstations answer calls 3-5 minutes sooner, as
something citygate measures on a model of the city rather than asserts.

A day of calls (a diurnal profile, at random road points of the topology) is answered twice by the same
dispatch rule, once by every unit and once with the street workstations' own units taken away. Each call
gets, after the operator's handling time, the available unit soonest there by road (forces/travel.py, the
ranking the desk proposes with); the unit drives there, stays for the call's service time and drives back
to its post. A call nobody is free for waits for the first unit to come free. The timelines go through the
same accounting as real incidents (forces/accounting.py), per area: the workstation whose precinct (within
`precinct_m`) the call is in, or `outside`.

Pure and deterministic: the same topology, parameters and seed give the same figures. What it measures is
this model (speeds, handling and service times, where units are posted), not Yangzhou's streets; the real
figures come from `citygate report response` over real incidents.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from streams.domain.forces.accounting import AreaFigures, Timeline, response_table
from streams.domain.forces.travel import Candidate, RoadGraph, rank
from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat
from streams.domain.geography.topology import Topology

OUTSIDE = "outside"
PRECINCTS = "precincts"  # every call in some workstation's precinct
# Share of a day's calls in each hour (0-23): quiet before dawn, busiest in the evening.
HOURLY = (2, 1.5, 1, 1, 1, 1.5, 2.5, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5.5, 6, 6.5, 6.5, 6, 5, 4, 3)
CATEGORIES = ("theft", "dispute", "traffic", "disturbance", "assistance")


@dataclass(frozen=True, slots=True)
class StudySettings:
    calls: int = 600  # in the day, city-wide
    patrols: int = 43  # motor patrol groups, posted at rapid-response points
    units_per_workstation: int = 2
    handling_s: float = 60.0  # call received → unit dispatched
    service_mean_s: float = 25 * 60.0  # on scene, exponential, clipped to [5 min, 2 h]
    precinct_m: float = 2000.0  # a call this close to a workstation is in its precinct
    seed: int = 2022


@dataclass(frozen=True, slots=True)
class Post:
    unit_id: str
    kind: str  # registry kind: motor_patrol or workstation_unit
    place: LonLat


@dataclass(frozen=True, slots=True)
class Call:
    call_id: str
    at: datetime
    place: LonLat
    category: str
    area: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """One area's figures with every unit and without the workstations' own."""

    area: str
    calls: int
    with_workstations: AreaFigures
    without_workstations: AreaFigures

    def sooner_s(self, which: str = "median") -> float | None:
        """How much sooner the area is answered with its workstation (seconds; None without data)."""
        attribute = "response_median_s" if which == "median" else "response_p90_s"
        with_s = getattr(self.with_workstations, attribute)
        without_s = getattr(self.without_workstations, attribute)
        return None if with_s is None or without_s is None else without_s - with_s


def posts(topology: Topology, settings: StudySettings) -> list[Post]:
    """Where the units wait: patrols spread over the rapid-response points, workstation units at theirs."""
    points = sorted(p.id for p in topology.points.values() if p.kind == "rapid_response_point")
    found = []
    for n in range(settings.patrols if points else 0):
        point = topology.points[points[(n * len(points)) // max(1, settings.patrols) % len(points)]]
        found.append(Post(f"MP-{n + 1:02d}", "motor_patrol", point.location))
    for point in sorted(
        (p for p in topology.points.values() if p.kind == "street_workstation"), key=lambda p: p.id
    ):
        for n in range(settings.units_per_workstation):
            found.append(Post(f"{point.id}-U{n + 1}", "workstation_unit", point.location))
    return found


def day_of_calls(topology: Topology, start: datetime, settings: StudySettings) -> list[Call]:
    """A day of calls from `start`: hours by `HOURLY`, places at random road points, areas by precinct."""
    rng = random.Random(settings.seed)  # noqa: S311 - a reproducible model, not a secret
    places = sorted((p.id, p.location) for p in topology.points.values() if p.neighbours)
    workstations = {p.id: p.location for p in topology.points.values() if p.kind == "street_workstation"}
    hours = rng.choices(range(24), weights=HOURLY, k=settings.calls)
    calls = []
    for n, hour in enumerate(sorted(hours)):
        at = start + timedelta(hours=hour, seconds=rng.uniform(0, 3600))
        _, place = places[rng.randrange(len(places))]
        area = precinct_of(place, workstations, settings)
        calls.append(Call(f"call-{n:05d}", at, place, rng.choice(CATEGORIES), area))
    calls.sort(key=lambda c: (c.at, c.call_id))
    return calls


def precinct_of(place: LonLat, workstations: Mapping[str, LonLat], settings: StudySettings) -> str:
    best = min(workstations, key=lambda w: (geo.distance_m(place, workstations[w]), w), default=None)
    if best is None or geo.distance_m(place, workstations[best]) > settings.precinct_m:
        return OUTSIDE
    return best


def answer(
    calls: Sequence[Call], units: Sequence[Post], graph: RoadGraph, settings: StudySettings
) -> list[Timeline]:
    """Each call answered by the unit free soonest there by road, in call order."""
    rng = random.Random(settings.seed + 1)  # noqa: S311 - as above
    handling = timedelta(seconds=settings.handling_s)
    if not calls:
        return []
    ready = calls[0].at - handling  # every unit is at its post and free when the day starts
    # unit id → (where it is when free, when it is free, when it is back at its post)
    where: dict[str, tuple[LonLat, datetime, datetime | None]] = {
        u.unit_id: (u.place, ready, None) for u in units
    }
    posted = {u.unit_id: u for u in units}
    to_post: dict[LonLat, dict[str, float]] = {}  # each post's road distances, found once
    timelines = []
    for call in calls:
        dispatched = call.at + handling
        free = [u for u, (_, free_at, _) in where.items() if free_at <= dispatched]
        if not free and where:
            dispatched = min(free_at for _, free_at, _ in where.values())
            free = [u for u, (_, free_at, _) in where.items() if free_at <= dispatched]
        candidates = [
            Candidate(u, _position(where[u], posted[u].place, dispatched), mounted=True) for u in free
        ]
        found = rank(graph, call.place, candidates, 1)
        if not found:  # no unit at all, or none can reach it by road
            timelines.append(Timeline(call.call_id, call.category, call.place, call.area, call.at))
            continue
        journey = found[0]
        on_scene = dispatched + timedelta(seconds=journey.travel_s)
        service = timedelta(seconds=min(7200.0, max(300.0, rng.expovariate(1 / settings.service_mean_s))))
        done = on_scene + service
        post = posted[journey.unit_id].place
        if post not in to_post:
            to_post[post] = graph.distances_to(post)
        way_back = graph.journey(Candidate(journey.unit_id, call.place, True), to_post[post], post)
        back = way_back.travel_s if way_back is not None else math.inf
        where[journey.unit_id] = (call.place, done, done + timedelta(seconds=back))
        timelines.append(
            Timeline(
                call.call_id,
                call.category,
                call.place,
                call.area,
                call.at,
                dispatched,
                on_scene,
                done,
                posted[journey.unit_id].kind,
            )
        )
    return timelines


def compare(topology: Topology, start: datetime, settings: StudySettings) -> list[Comparison]:
    """The day answered with every unit and without the workstations' own, per area, then `all`."""
    graph = RoadGraph.of(topology)
    calls = day_of_calls(topology, start, settings)
    every = posts(topology, settings)
    patrols_only = [u for u in every if u.kind != "workstation_unit"]
    with_ws = _figures(answer(calls, every, graph, settings), start)
    without = _figures(answer(calls, patrols_only, graph, settings), start)
    return [Comparison(area, with_ws[area].calls, with_ws[area], without[area]) for area in with_ws]


def _figures(timelines: list[Timeline], start: datetime) -> dict[str, AreaFigures]:
    """Per area, then every precinct's calls together (`precincts`), then `all`."""
    until = start + timedelta(days=1, hours=3)  # calls of the day still being answered after midnight
    rows = response_table(timelines, start, until)
    inside = [replace(t, area=PRECINCTS) for t in timelines if t.area != OUTSIDE]
    precincts = [r for r in response_table(inside, start, until) if r.area == PRECINCTS]
    return {r.area: r for r in [*rows[:-1], *precincts, rows[-1]]}


def _position(state: tuple[LonLat, datetime, datetime | None], post: LonLat, at: datetime) -> LonLat:
    place, _, back_at = state
    return post if back_at is None or at >= back_at else place
