"""The county towns' street webs (Gaoyou, Baoying, Yizheng, Jiangdu): spokes from the town centre and two
loops around it, spliced into the national road through the town in place of its points there."""

from __future__ import annotations

import math
from collections.abc import Sequence

from streams.domain.geography.layout.geometry import (
    bearing_of,
    compass,
    harmonics,
    to_xy,
    unit_vector,
    wave_at,
)
from streams.domain.geography.layout.graph import Graph
from streams.domain.geography.layout.roads import Radial
from streams.domain.geography.layout.tables import TOWNS

_TOWN_SPACING_KM = 0.25

# A spoke: (bearing from the town centre, road name, the road it is part of or None for its own, far level).
_Spoke = tuple[float, str, int | None, float]


def street_web(graph: Graph, radial: Radial, level: float, town: str) -> None:
    """A county town's own street web: spokes and two loops, spliced into the road through it."""
    rng = graph.rng
    (lon, lat), reach, street_names, loop_names = TOWNS[town]
    tx, ty = to_xy((lon, lat))
    centre = next(i for position, i in graph.roads[radial.road].members if position == level)
    ends = _clear_through_road(graph, radial, level, (tx, ty), reach)
    spokes: list[_Spoke] = []
    for far in ends:
        fx, fy = graph.web.xy(radial.bearing(far), far)
        spokes.append((bearing_of(fx - tx, fy - ty), radial.spec.name, radial.road, far))
    start = rng.uniform(0.0, 30.0)
    candidates = [start + 30.0 * k for k in range(12)]
    rng.shuffle(candidates)
    for bearing in candidates:
        if len(spokes) == 6:
            break
        if all(abs((bearing - b + 180.0) % 360.0 - 180.0) >= 45.0 for b, *_ in spokes):
            spokes.append((bearing % 360.0, street_names[len(spokes) - 2], None, 0.0))
    loops = [
        (fraction * reach, harmonics(rng, 0.05), name)
        for fraction, name in zip((0.45, 0.9), loop_names, strict=True)
    ]
    loop_roads = [graph.road(name, closed=True) for _, _, name in loops]
    loop_fixed: list[list[tuple[float, int]]] = [[] for _ in loops]
    for bearing, name, splice, far in spokes:
        ux, uy = unit_vector(bearing)
        if splice is None:
            spoke_road = graph.road(name, closed=False)
            graph.join(spoke_road, 0.0, centre)
        marks = [(radius * (1 + wave_at(wave, bearing)), k) for k, (radius, wave, _) in enumerate(loops)]
        marks.append((reach, -1))
        previous = 0.0
        for radius, k in marks:
            count = max(0, round((radius - previous) / _TOWN_SPACING_KM) - 1)
            rhos = [previous + (radius - previous) * j / (count + 1) for j in range(1, count + 1)]
            for rho in [*rhos, radius]:
                x, y = tx + rho * ux, ty + rho * uy
                if not graph.clear(x, y):
                    continue
                is_mark = rho == radius and k >= 0
                stem = f"{name}与{loops[k][2]}交叉口" if is_mark else f"{town}{name}{compass(bearing)}段"
                index = graph.node(x, y, name, stem, fixed=is_mark)
                if splice is None:
                    graph.join(spoke_road, rho, index)
                else:
                    graph.join(splice, level + (far - level) * rho / reach, index)
                if is_mark:
                    loop_fixed[k].append((bearing, index))
            previous = radius
    for (radius, wave, name), loop_road, fixed in zip(loops, loop_roads, loop_fixed, strict=True):
        _fill_loop(graph, (tx, ty), loop_road, radius, wave, name, fixed)


def _clear_through_road(
    graph: Graph, radial: Radial, level: float, town: tuple[float, float], reach: float
) -> list[float]:
    """Drop the through road's points inside the town's reach (the street web replaces them); return the
    levels where the road enters and leaves the reach."""
    road = graph.roads[radial.road]
    others = sorted(p for p, i in road.members if p != level and graph.nodes[i].fixed)
    before = max((p for p in others if p < level), default=radial.start)
    after = min((p for p in others if p > level), default=radial.end)
    ends = [
        _reach_level(graph, radial, town, reach, level, before),
        _reach_level(graph, radial, town, reach, level, after),
    ]
    for node in road.members:
        n = graph.nodes[node[1]]
        if not n.fixed and math.hypot(n.x - town[0], n.y - town[1]) < reach + 0.3:
            n.alive = False
    road.members = [m for m in road.members if graph.nodes[m[1]].alive]
    return ends


def _reach_level(
    graph: Graph, radial: Radial, town: tuple[float, float], reach: float, level: float, limit: float
) -> float:
    """The level on `radial`, between the town's (`level`) and `limit`, `reach` km from the town."""
    near, far = level, limit
    for _ in range(40):
        middle = (near + far) / 2
        x, y = graph.web.xy(radial.bearing(middle), middle)
        if math.hypot(x - town[0], y - town[1]) < reach:
            near = middle
        else:
            far = middle
    return (near + far) / 2


def _fill_loop(
    graph: Graph,
    town: tuple[float, float],
    road: int,
    radius: float,
    wave: Sequence[tuple[int, float, float]],
    name: str,
    fixed: list[tuple[float, int]],
) -> None:
    """Join a town loop's crossings with the spokes and add its points in between, by spacing."""
    tx, ty = town
    fixed.sort()
    for bearing, index in fixed:
        graph.join(road, bearing, index)
    for (b0, _), (b1, _) in zip(fixed, fixed[1:] + fixed[:1], strict=True):
        span = (b1 - b0) % 360.0 or 360.0
        count = max(0, round(math.radians(span) * radius / _TOWN_SPACING_KM) - 1)
        for k in range(1, count + 1):
            bearing = (b0 + span * k / (count + 1)) % 360.0
            ux, uy = unit_vector(bearing)
            rho = radius * (1 + wave_at(wave, bearing))
            x, y = tx + rho * ux, ty + rho * uy
            if graph.clear(x, y):
                graph.join(road, bearing, graph.node(x, y, name, f"{name}{compass(bearing)}段"))
