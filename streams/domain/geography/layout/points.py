"""Which node becomes which kind of point, and the exact counts: ring checkpoints and blockades, the street
workstations, rapid-response points spread over each zone, and interior checkpoints, removed or added until
there are as many as the report says."""

from __future__ import annotations

import heapq
import math

from streams.domain.geography.layout.geometry import bearing_of, compass, to_xy
from streams.domain.geography.layout.graph import Graph, spacing_km
from streams.domain.geography.layout.tables import RAPID_RESPONSE, RING_ROADS, WORKSTATIONS
from streams.domain.geography.topology import RING_ORDER


def assign_ring_kinds(
    graph: Graph, crossings: dict[float, list[tuple[float, int]]], blockades: dict[float, int]
) -> None:
    """Blockade points on the core and urban rings (road crossings first), electronic checkpoints on the rest
    of them; every city-ring point not yet a kind is a blockade point."""
    for level, count in blockades.items():
        ring = RING_ORDER[int(level) - 1]
        on_ring = [i for i, n in enumerate(graph.nodes) if n.ring == ring]
        at_roads = [i for _, i in crossings[level]]
        graph.rng.shuffle(at_roads)
        chosen = at_roads[:count]
        rest = sorted(set(on_ring) - set(chosen))
        chosen += graph.rng.sample(rest, count - len(chosen))
        for i in on_ring:
            graph.nodes[i].kind = "blockade_point" if i in chosen else "electronic_checkpoint"
    for n in graph.nodes:
        if n.ring == "city" and not n.kind:
            n.kind = "blockade_point"


def assign_interior(graph: Graph, checkpoints: int) -> None:
    """Workstations, rapid-response points, and exactly `checkpoints` electronic checkpoints off the rings."""
    rng = graph.rng
    nodes = graph.nodes
    pool = [i for i, n in enumerate(nodes) if n.alive and n.ring is None]
    for name, lon, lat in WORKSTATIONS:
        x, y = to_xy((lon + rng.uniform(-0.002, 0.002), lat + rng.uniform(-0.002, 0.002)))
        urban = math.hypot(x, y) < 30.0
        candidates = [i for i in pool if not nodes[i].kind and (nodes[i].zone < 2) == urban]
        best = min(candidates, key=lambda i: (math.hypot(nodes[i].x - x, nodes[i].y - y), i))
        nodes[best].kind, nodes[best].name = "street_workstation", name
    for zone, quota in enumerate(RAPID_RESPONSE):
        minutes = [m for m, count in sorted(quota.items()) for _ in range(count)]
        candidates = [i for i in pool if nodes[i].zone == zone and not nodes[i].kind]
        chosen = _spread(graph, candidates, len(minutes))
        chosen.sort(key=lambda i: (math.hypot(nodes[i].x, nodes[i].y), i))
        for i, m in zip(chosen, minutes, strict=True):
            n = nodes[i]
            n.kind, n.minutes, n.ring = "rapid_response_point", m, RING_ORDER[zone]
    free = [i for i in pool if not nodes[i].kind]
    surplus = len(free) - checkpoints
    if surplus > 0:
        removable = [i for i in free if not nodes[i].fixed and nodes[i].roads == 1]
        for i in rng.sample(removable, surplus):
            nodes[i].alive = False
    elif surplus < 0:
        _split(graph, -surplus)
    for n in nodes:
        if n.alive and not n.kind:
            n.kind = "electronic_checkpoint"


def _spread(graph: Graph, candidates: list[int], count: int) -> list[int]:
    """`count` of the candidates, each as far as possible from those already chosen (so they cover the
    zone evenly), starting from a random one."""
    if len(candidates) < count:
        raise AssertionError(f"only {len(candidates)} places for {count} points")
    nodes = graph.nodes
    chosen = [graph.rng.choice(candidates)]
    gap = {i: math.inf for i in candidates}
    while len(chosen) < count:
        last = nodes[chosen[-1]]
        for i in gap:
            gap[i] = min(gap[i], math.hypot(nodes[i].x - last.x, nodes[i].y - last.y))
        chosen.append(max(gap, key=lambda i: (gap[i], -i)))
    return chosen


def _split(graph: Graph, wanted: int) -> None:
    """Add `wanted` interior points, each halving the longest stretch (relative to its target spacing)."""
    nodes, roads = graph.nodes, graph.roads
    heap: list[tuple[float, int, int, float, float]] = []
    counter = iter(range(1 << 62))
    member: dict[tuple[int, float], int] = {}  # (road, position) -> node

    def push(road: int, p0: float, p1: float) -> None:
        a, b = nodes[member[(road, p0)]], nodes[member[(road, p1)]]
        if a.ring is None and b.ring is None and a.alive and b.alive:
            gap = math.hypot(a.x - b.x, a.y - b.y) / spacing_km(a.zone, float(a.zone) + 0.5)
            heapq.heappush(heap, (-gap, next(counter), road, p0, p1))

    for r, road in enumerate(roads):
        if roads[r].name in RING_ROADS.values():
            continue
        members = sorted((p, i) for p, i in road.members if nodes[i].alive)
        for p, i in members:
            member[(r, p)] = i
        pairs = list(zip(members, members[1:], strict=False))
        if road.closed and len(members) > 2:
            pairs.append((members[-1], (members[0][0] + 360.0, members[0][1])))
            member[(r, members[0][0] + 360.0)] = members[0][1]
        for (p0, _), (p1, _) in pairs:
            push(r, p0, p1)
    for _ in range(wanted):
        _, _, r, p0, p1 = heapq.heappop(heap)
        a, b = nodes[member[(r, p0)]], nodes[member[(r, p1)]]
        middle = (p0 + p1) / 2
        x, y = (a.x + b.x) / 2, (a.y + b.y) / 2
        index = graph.node(x, y, roads[r].name, f"{roads[r].name}{compass(bearing_of(x, y))}段")
        graph.join(r, middle % 360.0 if roads[r].closed else middle, index)
        member[(r, middle)] = index
        push(r, p0, middle)
        push(r, middle, p1)
