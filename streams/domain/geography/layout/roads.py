"""The road network: concentric loops at fixed levels (the three ring roads among them), radial roads whose
bearing varies smoothly with the level, a shared node wherever the two meet, and the points in between."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from streams.domain.geography.layout.geometry import bearing_of, compass, to_xy
from streams.domain.geography.layout.graph import Graph, spacing_km
from streams.domain.geography.layout.tables import (
    EXPRESSWAYS,
    LOOPS,
    MAIN_RADIALS,
    RING_ROADS,
    STREET_NAMES,
    TOWNS,
    RadialSpec,
)
from streams.domain.geography.topology import RING_ORDER

# A concentric road: (level, name, the ring it runs along or None).
Loop = tuple[float, str, str | None]


@dataclass
class Radial:
    spec: RadialSpec
    stops: list[tuple[float, float]]  # (level, unwrapped bearing), ascending level
    towns: dict[float, str]
    wiggle: float
    road: int = -1

    @property
    def start(self) -> float:
        return self.stops[0][0]

    @property
    def end(self) -> float:
        return self.stops[-1][0]

    def bearing(self, level: float) -> float:
        stops = self.stops
        for (l0, b0), (l1, b1) in zip(stops, stops[1:], strict=False):
            if level <= l1:
                bearing = b0 + (b1 - b0) * (level - l0) / (l1 - l0)
                break
        else:
            bearing = stops[-1][1]
        if level < 2.0:  # a gentle bow inside the urban ring, none where the road must pass a town
            bearing += self.wiggle * math.sin(math.pi * (level - self.start) / (2.0 - self.start))
        return bearing % 360.0


def loops() -> list[Loop]:
    """Every concentric road, innermost first."""
    result: list[Loop] = [(level, name, None) for level, name in LOOPS]
    result += [(float(i + 1), RING_ROADS[ring], ring) for i, ring in enumerate(RING_ORDER)]
    result.sort()
    return result


def radials(graph: Graph) -> list[Radial]:
    rng = graph.rng
    result = [_radial(graph, spec, rng.uniform(-1.5, 1.5)) for spec in MAIN_RADIALS]
    result += [_radial(graph, spec, 0.0) for spec in EXPRESSWAYS]
    # Urban streets fill the gaps between the main roads, from the innermost loop to the ring expressway.
    taken = sorted(
        [r.bearing(1.0) for r in result if r.start == 0.0]
        + [r.bearing(2.0) for r in result if r.start == 2.0]
    )
    names = iter(STREET_NAMES)
    for here, there in zip(taken, taken[1:] + [taken[0] + 360.0], strict=True):
        slots = max(0, round((there - here) / 12.0) - 1)
        for k in range(1, slots + 1):
            bearing = here + (there - here) * k / (slots + 1) + rng.uniform(-1.0, 1.0)
            spec = RadialSpec(next(names), ((LOOPS[0][0], bearing), (2.0, bearing + rng.uniform(-1.0, 1.0))))
            result.append(_radial(graph, spec, rng.uniform(-1.5, 1.5)))
    return result


def _radial(graph: Graph, spec: RadialSpec, wiggle: float) -> Radial:
    stops: list[tuple[float, float]] = []
    towns: dict[float, str] = {}
    for waypoint in spec.waypoints:
        if isinstance(waypoint, str):
            x, y = to_xy(TOWNS[waypoint][0])
        elif waypoint[0] > 100.0:  # a place (lon, lat), not a (level, bearing)
            x, y = to_xy(waypoint)
        else:
            stops.append((waypoint[0], waypoint[1]))
            continue
        level = graph.web.level_of(x, y)
        stops.append((level, bearing_of(x, y)))
        if isinstance(waypoint, str):
            towns[level] = waypoint
    # Unwrap so that a road crossing north interpolates through 0°, not the long way round.
    unwrapped = [stops[0]]
    for level, bearing in stops[1:]:
        previous = unwrapped[-1][1]
        unwrapped.append((level, previous + (bearing - previous + 180.0) % 360.0 - 180.0))
    return Radial(spec, unwrapped, towns, wiggle)


def cross(
    graph: Graph, radials: Sequence[Radial], loops: Sequence[Loop], centre: int
) -> tuple[dict[float, int], dict[float, list[tuple[float, int]]]]:
    """Lay the loops and the radials, with a node where a radial crosses a loop (an exit point where it leaves
    the city ring) and one at each town centre on it. The loops' roads by level, and each loop's crossings as
    (bearing, node)."""
    loop_roads: dict[float, int] = {}
    crossings: dict[float, list[tuple[float, int]]] = {}
    for level, name, _ in loops:
        loop_roads[level] = graph.road(name, closed=True)
        crossings[level] = []
    for radial in radials:
        radial.road = graph.road(radial.spec.name, closed=False)
        if radial.start == 0.0:
            graph.join(radial.road, 0.0, centre)
        for level, name, ring in loops:
            if radial.start - 1e-9 <= level <= radial.end + 1e-9:
                bearing = radial.bearing(level)
                x, y = graph.web.xy(bearing, level)
                leaves = ring == "city"  # where the road leaves the municipality
                index = graph.node(
                    x,
                    y,
                    radial.spec.name,
                    f"{radial.spec.name}与{name}交叉口",
                    ring=ring,
                    fixed=True,
                    kind=(radial.spec.exit_kind or "blockade_point") if leaves else "",
                    name=radial.spec.exit_name if leaves else "",
                )
                graph.join(radial.road, level, index)
                crossings[level].append((bearing, index))
        for level, town in radial.towns.items():
            x, y = graph.web.xy(radial.bearing(level), level)
            graph.join(radial.road, level, graph.node(x, y, radial.spec.name, f"{town}城区中心", fixed=True))
    return loop_roads, crossings


def fill_loop(
    graph: Graph, road: int, level: float, name: str, fixed: list[tuple[float, int]], total: int | None
) -> None:
    """Add the loop's crossings and its points in between: `total` in all, or by spacing."""
    ring = RING_ORDER[int(level) - 1] if level in (1.0, 2.0, 3.0) else None
    fixed.sort()
    for bearing, index in fixed:
        graph.join(road, bearing, index)
    arcs = []
    for (b0, _), (b1, _) in zip(fixed, fixed[1:] + fixed[:1], strict=True):
        span = (b1 - b0) % 360.0 or 360.0
        steps = max(2, int(span / 2.0))
        points = [graph.web.xy(b0 + span * k / steps, level) for k in range(steps + 1)]
        length = sum(math.dist(p, q) for p, q in zip(points, points[1:], strict=False))
        arcs.append((b0, span, length))
    if total is None:
        zone = min(int(level), 2)
        counts = [max(0, round(length / spacing_km(zone, level)) - 1) for _, _, length in arcs]
    else:
        counts = _apportion(total - len(fixed), [length for _, _, length in arcs])
    for (b0, span, _), count in zip(arcs, counts, strict=True):
        for k in range(1, count + 1):
            bearing = (b0 + span * k / (count + 1)) % 360.0
            x, y = graph.web.xy(bearing, level)
            index = graph.node(x, y, name, f"{name}{compass(bearing)}段", ring=ring)
            graph.join(road, bearing, index)


def fill_radial(graph: Graph, radial: Radial) -> None:
    """Add the radial's points between its crossings, by spacing, clear of the rings."""
    stops = sorted(position for position, _ in graph.roads[radial.road].members)
    for l0, l1 in zip(stops, stops[1:], strict=False):
        samples = [
            graph.web.xy(radial.bearing(l0 + (l1 - l0) * k / 16), l0 + (l1 - l0) * k / 16) for k in range(17)
        ]
        length = sum(math.dist(p, q) for p, q in zip(samples, samples[1:], strict=False))
        middle = (l0 + l1) / 2
        count = max(0, round(length / spacing_km(min(int(middle), 2), middle)) - 1)
        for k in range(1, count + 1):
            level = l0 + (l1 - l0) * k / (count + 1)
            x, y = graph.web.xy(radial.bearing(level), level)
            if graph.clear(x, y):
                stem = f"{radial.spec.name}K{math.hypot(x, y):.1f}处"
                graph.join(radial.road, level, graph.node(x, y, radial.spec.name, stem))


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder)."""
    if total < 0:
        raise AssertionError("more fixed points on a ring than it should hold")
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda k: (counts[k] - shares[k], k))
    for k in by_remainder[: total - sum(counts)]:
        counts[k] += 1
    return counts
