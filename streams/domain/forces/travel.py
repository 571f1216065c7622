"""Travel time by road: which unit gets to a place first, not which is nearest as the crow flies.

The road graph is the topology's points and their `neighbours` (each edge a straight road segment between
two points, the way the checkpoint graph is drawn). A journey is an off-road leg from where the unit is
to the road point nearest it (or one hardly farther), the roads, and an off-road leg from a road point
near the place to the place: by the triangle inequality never shorter than the straight line, and across
a river or around a ring road much longer. One Dijkstra from the place (a few thousand points, a few
milliseconds) gives every road point's distance to it; each unit then costs one nearest-points lookup.

`rank` orders candidates best-first and stops early: a unit's straight-line time is a lower bound of its road
time, so once the `count`-th best road time beats the next candidate's lower bound, no later one can win.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat
from streams.domain.geography.topology import Topology

# Speeds of a unit answering a call: a car or motorcycle on urban roads with lights, a walker.
VEHICLE_MPS = 40 / 3.6
FOOT_MPS = 5 / 3.6
SNAP_POINTS = 3  # road points tried at each end of a journey...
SNAP_SLACK_M = 250.0  # ...those at most this much farther than the nearest (not across a river)
CELL_DEG = 0.01  # grid cell for the nearest-point lookup: about 1.1 km × 0.9 km at Yangzhou


@dataclass(frozen=True, slots=True)
class Candidate:
    """A unit that may be sent: where it was last known to be and how it moves."""

    unit_id: str
    position: LonLat
    mounted: bool  # vehicle speed, else on foot


@dataclass(frozen=True, slots=True)
class Journey:
    unit_id: str
    travel_s: float  # by road, at the unit's speed
    road_m: float  # the whole journey, off-road legs included
    straight_m: float  # as the crow flies, for comparison


class RoadGraph:
    """The topology's road graph with a grid for finding the road points nearest a place."""

    def __init__(
        self, places: Mapping[str, LonLat], edges: Mapping[str, tuple[tuple[str, float], ...]]
    ) -> None:
        self.places = dict(places)
        self.edges = dict(edges)
        self._grid: dict[tuple[int, int], list[str]] = {}
        for point_id, place in self.places.items():
            self._grid.setdefault(_cell(place), []).append(point_id)
        if self.places:
            lat = sum(p[1] for p in self.places.values()) / len(self.places)
            metres_per_deg = math.pi * geo.EARTH_RADIUS_M / 180
            self._cell_m = CELL_DEG * metres_per_deg * min(1.0, math.cos(math.radians(lat)))
        else:
            self._cell_m = 0.0

    @classmethod
    def of(cls, topology: Topology) -> RoadGraph:
        places = {p.id: p.location for p in topology.points.values()}
        edges: dict[str, tuple[tuple[str, float], ...]] = {}
        for point in topology.points.values():
            edges[point.id] = tuple(
                (n, geo.distance_m(point.location, places[n])) for n in point.neighbours if n in places
            )
        return cls(places, edges)

    def nearest(self, place: LonLat, count: int = SNAP_POINTS) -> list[tuple[str, float]]:
        """The `count` road points nearest `place` (metres), nearest first; [] for an empty graph."""
        if not self.places or count < 1:
            return []
        cx, cy = _cell(place)
        found: list[tuple[float, str]] = []
        seen = 0
        radius = 0
        # Every point within radius × cell size of `place` lies in the rings scanned so far.
        while seen < len(self.places):
            for cell in _ring(cx, cy, radius):
                for point_id in self._grid.get(cell, ()):
                    seen += 1
                    found.append((geo.distance_m(place, self.places[point_id]), point_id))
            found.sort()
            del found[count:]
            if len(found) >= count and found[-1][0] <= radius * self._cell_m:
                break
            radius += 1
        return [(point_id, metres) for metres, point_id in found]

    def snaps(self, place: LonLat) -> list[tuple[str, float]]:
        """Where a journey from or to `place` joins the roads: the nearest road point, and the next
        nearest ones only when hardly farther (an off-road leg is a short walk or drive, never the far
        side of a river)."""
        found = self.nearest(place)
        return [(p, m) for p, m in found if m <= found[0][1] + SNAP_SLACK_M] if found else []

    def distances_to(self, place: LonLat) -> dict[str, float]:
        """Road metres from every road point to `place` (the legs off the road included)."""
        best: dict[str, float] = {}
        queue = [(metres, point_id) for point_id, metres in self.snaps(place)]
        heapq.heapify(queue)
        while queue:
            metres, point_id = heapq.heappop(queue)
            if point_id in best:
                continue
            best[point_id] = metres
            for neighbour, length in self.edges.get(point_id, ()):
                if neighbour not in best:
                    heapq.heappush(queue, (metres + length, neighbour))
        return best

    def journey(self, candidate: Candidate, to_place: Mapping[str, float], place: LonLat) -> Journey | None:
        """The candidate's journey to `place` given `distances_to(place)`; None when no road joins them."""
        straight = geo.distance_m(candidate.position, place)
        options = [leg + to_place[p] for p, leg in self.snaps(candidate.position) if p in to_place]
        if not options:
            return None
        road = round(max(min(options), straight), 1)
        return Journey(candidate.unit_id, road / _speed(candidate), road, round(straight, 1))


def rank(graph: RoadGraph, place: LonLat, candidates: Iterable[Candidate], count: int) -> list[Journey]:
    """The `count` candidates that reach `place` soonest by road, soonest first (ties by unit id)."""
    if count < 1:
        return []
    by_bound = sorted(
        ((geo.distance_m(c.position, place) / _speed(c), c.unit_id, c) for c in candidates),
        key=lambda item: (item[0], item[1]),
    )
    if not by_bound:
        return []
    to_place = graph.distances_to(place)
    best: list[Journey] = []
    for bound, _, candidate in by_bound:
        if len(best) >= count and bound > best[count - 1].travel_s:
            break  # no later candidate can beat the ones chosen
        journey = graph.journey(candidate, to_place, place)
        if journey is not None:
            best.append(journey)
            best.sort(key=lambda j: (j.travel_s, j.unit_id))
    return best[:count]


def _speed(candidate: Candidate) -> float:
    return VEHICLE_MPS if candidate.mounted else FOOT_MPS


def _cell(place: LonLat) -> tuple[int, int]:
    return math.floor(place[0] / CELL_DEG), math.floor(place[1] / CELL_DEG)


def _ring(cx: int, cy: int, radius: int) -> Iterable[tuple[int, int]]:
    if radius == 0:
        yield cx, cy
        return
    for dx in range(-radius, radius + 1):
        yield cx + dx, cy - radius
        yield cx + dx, cy + radius
    for dy in range(-radius + 1, radius):
        yield cx - radius, cy + dy
        yield cx + radius, cy + dy
