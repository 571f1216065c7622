"""Plane geometry on a city's scale: distances in metres, point in polygon, distance to a polygon's edge.

An equirectangular projection around the point of interest is accurate to well under 1% over the ~100 km of
a municipality, which is far below what the planner's speed estimates can tell apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

EARTH_RADIUS_M = 6_371_000.0
LonLat = tuple[float, float]


def _xy(origin: LonLat, point: LonLat) -> tuple[float, float]:
    lon0, lat0 = origin
    lon, lat = point
    x = math.radians(lon - lon0) * math.cos(math.radians((lat + lat0) / 2)) * EARTH_RADIUS_M
    y = math.radians(lat - lat0) * EARTH_RADIUS_M
    return x, y


def distance_m(a: LonLat, b: LonLat) -> float:
    """Distance between two (lon, lat) points in metres."""
    x, y = _xy(a, b)
    return math.hypot(x, y)


def contains(polygon: Sequence[LonLat], point: LonLat) -> bool:
    """Whether `point` lies inside the closed ring `polygon` (even-odd rule; the edge counts as inside)."""
    lon, lat = point
    inside = False
    n = len(polygon)
    for i in range(n):
        (x1, y1), (x2, y2) = polygon[i], polygon[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < crossing:
                inside = not inside
            elif lon == crossing:
                return True
    return inside


def distance_to_boundary_m(polygon: Sequence[LonLat], point: LonLat) -> float:
    """Shortest distance in metres from `point` to the polygon's boundary."""
    best = math.inf
    n = len(polygon)
    for i in range(n):
        ax, ay = _xy(point, polygon[i])
        bx, by = _xy(point, polygon[(i + 1) % n])
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best
