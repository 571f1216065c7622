"""Where a watched vehicle is heading: direction and speed from successive sightings, and the next
checkpoints along the road graph where it can be intercepted ahead.

The road graph is the topology's `neighbours`. From the latest checkpoint, the walk follows only roads
leaving within ±60° of the direction of travel, a few hops out, and gives each point the window in which the
vehicle should pass it at its observed speed (±30%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat
from streams.domain.geography.topology import Point, Topology

MAX_TURN_DEG = 60.0
SPEED_SLACK = 0.3
MIN_SPEED_MPS = 1.0  # slower than walking: treat as standing still, no prediction


@dataclass(frozen=True, slots=True)
class Heading:
    bearing_deg: float  # 0 = north, 90 = east
    speed_mps: float


@dataclass(frozen=True, slots=True)
class Ahead:
    point_id: str
    distance_m: float
    earliest: datetime
    latest: datetime


def bearing_deg(a: LonLat, b: LonLat) -> float:
    """Compass bearing from a to b in degrees (0 north, 90 east)."""
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    dlon = math.radians(b[0] - a[0])
    x = math.sin(dlon) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def heading(previous: tuple[LonLat, datetime], latest: tuple[LonLat, datetime]) -> Heading | None:
    """Direction and speed between two sightings; None if they are simultaneous or the same place."""
    (a, t1), (b, t2) = previous, latest
    seconds = (t2 - t1).total_seconds()
    distance = geo.distance_m(a, b)
    if seconds <= 0 or distance < 1:
        return None
    return Heading(round(bearing_deg(a, b), 1), round(distance / seconds, 2))


def _turn(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def intercept_ahead(
    topology: Topology, current: Point, moving: Heading, seen_at: datetime, *, hops: int = 3, limit: int = 6
) -> list[Ahead]:
    """The next checkpoints along the roads in the direction of travel, nearest first."""
    if moving.speed_mps < MIN_SPEED_MPS:
        return []
    found: dict[str, float] = {}
    frontier = [(current, 0.0)]
    seen = {current.id}
    for _ in range(hops):
        following = []
        for point, travelled in frontier:
            for neighbour_id in point.neighbours:
                neighbour = topology.points.get(neighbour_id)
                if neighbour is None or neighbour.id in seen:
                    continue
                if _turn(bearing_deg(point.location, neighbour.location), moving.bearing_deg) > MAX_TURN_DEG:
                    continue
                seen.add(neighbour.id)
                distance = travelled + geo.distance_m(point.location, neighbour.location)
                found[neighbour.id] = distance
                following.append((neighbour, distance))
        frontier = following
    ahead = []
    for point_id, distance in sorted(found.items(), key=lambda item: (item[1], item[0]))[:limit]:
        fast, slow = moving.speed_mps * (1 + SPEED_SLACK), moving.speed_mps * (1 - SPEED_SLACK)
        ahead.append(
            Ahead(
                point_id=point_id,
                distance_m=round(distance, 1),
                earliest=seen_at + timedelta(seconds=distance / fast),
                latest=seen_at + timedelta(seconds=distance / slow),
            )
        )
    return ahead
