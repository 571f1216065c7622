"""The generator's working state: the seeded random source, the ring web, and the nodes and roads laid so
far. A node is a future point; a road is an ordered list of nodes (by position along it), and two nodes
next to each other on a road become each other's neighbours in the document."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from streams.domain.geography.layout.geometry import Web, make_web

_MARGIN_KM = 0.45  # radial clearance of interior points from every ring (the ring band is ~300 m)
_DENSITY = 0.85  # scales every spacing; the exact count is then reached by adding or removing a few points


@dataclass
class Node:
    x: float
    y: float
    zone: int  # 0 inside core, 1 inside urban, 2 outside urban: the innermost ring around it
    road: str
    stem: str  # where it is, for the name
    ring: str | None = None
    fixed: bool = False  # a crossing, a town centre or a named point: never removed
    kind: str = ""
    name: str = ""
    minutes: int | None = None
    roads: int = 0
    alive: bool = True


@dataclass
class Road:
    name: str
    closed: bool
    members: list[tuple[float, int]] = field(default_factory=list)  # (position along the road, node)


class Graph:
    """Nodes and roads by index, in the order they were made (which the ids and names later depend on)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        self.web: Web = make_web(self.rng)
        self.nodes: list[Node] = []
        self.roads: list[Road] = []

    def node(
        self,
        x: float,
        y: float,
        road: str,
        stem: str,
        *,
        ring: str | None = None,
        fixed: bool = False,
        kind: str = "",
        name: str = "",
    ) -> int:
        zone = min(int(self.web.level_of(x, y)), 2)
        self.nodes.append(Node(x, y, zone, road, stem, ring=ring, fixed=fixed, kind=kind, name=name))
        return len(self.nodes) - 1

    def road(self, name: str, closed: bool) -> int:
        self.roads.append(Road(name, closed))
        return len(self.roads) - 1

    def join(self, road: int, position: float, node: int) -> None:
        self.roads[road].members.append((position, node))
        self.nodes[node].roads += 1

    def clear(self, x: float, y: float) -> bool:
        """Whether an interior point here keeps its distance from every ring."""
        return self.web.clearance_km(x, y) >= _MARGIN_KM


def spacing_km(zone: int, level: float) -> float:
    """Target distance between neighbouring points: dense in the old city, sparse on county roads."""
    if zone == 0:
        return 0.17 * _DENSITY
    if zone == 1:
        return (0.2 + 0.2 * (level - 1.0)) * _DENSITY
    return 1.6 * _DENSITY
