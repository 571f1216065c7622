"""The layout's geometry: the flat projection around `CENTRE`, the three nested rings as one web of shared
corner bearings (the "level" coordinate), and the ring shapes drawn from the seed inside the city outline."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat
from streams.domain.geography.layout.tables import CENTRE

_KM_PER_DEG_LAT = math.radians(1.0) * geo.EARTH_RADIUS_M / 1000.0
_KM_PER_DEG_LON = _KM_PER_DEG_LAT * math.cos(math.radians(CENTRE[1]))
_CORNERS = 72  # per ring; every ring uses the same bearings
_COMPASS = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")


def to_lonlat(x_km: float, y_km: float) -> LonLat:
    """The place `x_km` east and `y_km` north of `CENTRE` (the layout's flat projection)."""
    return (CENTRE[0] + x_km / _KM_PER_DEG_LON, CENTRE[1] + y_km / _KM_PER_DEG_LAT)


def to_xy(place: LonLat) -> tuple[float, float]:
    """Kilometres east and north of `CENTRE`."""
    return ((place[0] - CENTRE[0]) * _KM_PER_DEG_LON, (place[1] - CENTRE[1]) * _KM_PER_DEG_LAT)


def bearing_of(x: float, y: float) -> float:
    """Degrees clockwise from north of the place `x` km east and `y` km north of the centre."""
    return math.degrees(math.atan2(x, y)) % 360.0


def unit_vector(bearing: float) -> tuple[float, float]:
    rad = math.radians(bearing)
    return math.sin(rad), math.cos(rad)


def compass(bearing: float) -> str:
    """The bearing's point of the eight-point compass, as point names say it (北, 东北, ...)."""
    return _COMPASS[int(((bearing % 360.0) + 22.5) // 45.0) % 8]


@dataclass(frozen=True)
class Web:
    """Three star-shaped rings sampled at the same bearings, and the level coordinate between them."""

    offset: float  # bearing of corner 0, degrees
    radii: tuple[tuple[float, ...], ...]  # per ring (core, urban, city): km from the centre at each corner

    def corner_bearing(self, index: int) -> float:
        return self.offset + index * 360.0 / _CORNERS

    def ring_radius(self, ring: int, bearing: float) -> float:
        """Distance from the centre to ring `ring`'s boundary along `bearing` (exact on the polygon)."""
        step = 360.0 / _CORNERS
        i = int(((bearing - self.offset) % 360.0) // step) % _CORNERS
        j = (i + 1) % _CORNERS
        r = self.radii[ring]
        ax, ay = unit_vector(self.corner_bearing(i))
        bx, by = unit_vector(self.corner_bearing(i + 1))
        px, py = r[i] * ax, r[i] * ay
        dx, dy = r[j] * bx - px, r[j] * by - py
        ux, uy = unit_vector(bearing)
        return (px * dy - py * dx) / (ux * dy - uy * dx)

    def bounds(self, bearing: float, level: float) -> tuple[int, float, float]:
        """The zone (0, 1, 2) a level falls in and the radii of its inner and outer edge along `bearing`."""
        zone = min(max(int(level), 0), 2)
        inner = 0.0 if zone == 0 else self.ring_radius(zone - 1, bearing)
        return zone, inner, self.ring_radius(zone, bearing)

    def xy(self, bearing: float, level: float) -> tuple[float, float]:
        zone, inner, outer = self.bounds(bearing, level)
        radius = inner + (level - zone) * (outer - inner)
        ux, uy = unit_vector(bearing)
        return radius * ux, radius * uy

    def level_of(self, x: float, y: float) -> float:
        bearing, radius = bearing_of(x, y), math.hypot(x, y)
        inner = 0.0
        for zone in range(3):
            outer = self.ring_radius(zone, bearing)
            if radius < outer or zone == 2:
                return zone + (radius - inner) / (outer - inner)
            inner = outer
        raise AssertionError("unreachable")

    def clearance_km(self, x: float, y: float) -> float:
        """Radial distance from the place to the nearest ring (negative outside the city ring)."""
        bearing, level = bearing_of(x, y), self.level_of(x, y)
        zone, inner, outer = self.bounds(bearing, level)
        radius = math.hypot(x, y)
        return outer - radius if zone == 0 else min(outer - radius, radius - inner)

    def polygon(self, ring: int) -> list[list[float]]:
        """The ring as a closed GeoJSON linear ring, counter-clockwise."""
        corners = []
        for i in range(_CORNERS):
            ux, uy = unit_vector(self.corner_bearing(i))
            lon, lat = to_lonlat(self.radii[ring][i] * ux, self.radii[ring][i] * uy)
            corners.append([round(lon, 6), round(lat, 6)])
        corners.reverse()  # bearings run clockwise
        return [*corners, corners[0]]


def harmonics(rng: random.Random, amplitude: float) -> list[tuple[int, float, float]]:
    """A random smooth wobble for a ring or loop: (harmonic, amplitude, phase) for harmonics 2 to 5."""
    return [(h, rng.uniform(-amplitude, amplitude) / h, rng.uniform(0.0, math.tau)) for h in range(2, 6)]


def wave_at(terms: Sequence[tuple[int, float, float]], bearing: float) -> float:
    """The wobble's relative change of radius at `bearing`."""
    rad = math.radians(bearing)
    return sum(a * math.sin(h * rad + phase) for h, a, phase in terms)


def _bump(bearing: float, middle: float, half_width: float) -> float:
    off = abs((bearing - middle + 180.0) % 360.0 - 180.0)
    return math.cos(math.pi / 2 * off / half_width) ** 2 if off < half_width else 0.0


# The municipality's outline (lon, lat), clockwise from the north; star-shaped around the centre.
_CITY_OUTLINE: tuple[LonLat, ...] = (
    (119.42, 33.43),
    (119.58, 33.40),
    (119.68, 33.25),
    (119.72, 33.05),
    (119.75, 32.88),
    (119.80, 32.72),
    (119.90, 32.58),
    (119.92, 32.45),
    (119.88, 32.32),
    (119.78, 32.24),
    (119.62, 32.22),
    (119.45, 32.23),
    (119.30, 32.22),
    (119.15, 32.21),
    (119.03, 32.25),
    (118.98, 32.35),
    (119.03, 32.45),
    (119.12, 32.53),
    (119.20, 32.62),
    (119.18, 32.80),
    (119.15, 33.00),
    (119.12, 33.18),
    (119.15, 33.33),
    (119.25, 33.42),
)


def _outline_radius(bearing: float) -> float:
    ux, uy = unit_vector(bearing)
    points = [to_xy(p) for p in _CITY_OUTLINE]
    for (px, py), (qx, qy) in zip(points, points[1:] + points[:1], strict=True):
        dx, dy = qx - px, qy - py
        denominator = ux * dy - uy * dx
        if denominator == 0:
            continue
        t = (px * dy - py * dx) / denominator
        s = (px * uy - py * ux) / denominator
        if t > 0 and -1e-9 <= s <= 1 + 1e-9:
            return t
    raise AssertionError(f"city outline has no edge at bearing {bearing}")


def make_web(rng: random.Random) -> Web:
    """The seed's three rings: the old city's, the urban districts', and one along the municipal outline."""
    offset = rng.uniform(0.0, 360.0 / _CORNERS)
    core_wave, urban_wave, city_wave = harmonics(rng, 0.09), harmonics(rng, 0.05), harmonics(rng, 0.03)
    core, urban, city = [], [], []
    for i in range(_CORNERS):
        bearing = offset + i * 360.0 / _CORNERS
        core.append(3.0 * (1 + wave_at(core_wave, bearing) + rng.uniform(-0.012, 0.012)))
        # The urban districts reach the Yangtze in the south and stop short of Jiangdu in the east.
        base = 10.5 + 2.0 * _bump(bearing, 180.0, 50.0) - 1.2 * _bump(bearing, 80.0, 45.0)
        urban.append(base * (1 + wave_at(urban_wave, bearing) + rng.uniform(-0.01, 0.01)))
        city.append(_outline_radius(bearing) * (1 + wave_at(city_wave, bearing) + rng.uniform(-0.008, 0.008)))
    return Web(offset, (tuple(core), tuple(urban), tuple(city)))
