"""The road network vehicles drive on: the drivable part of the topology's checkpoint graph, each edge with
its road class (and so its speed), the camera sites, and one shortest-path tree per hub for routing."""
# ruff: noqa: S311 - `random` models traffic here, it guards no secret

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from streams.domain.geography import geo
from streams.domain.geography.topology import Topology

__all__ = [
    "ARTERIAL",
    "CLASS_SPEED_KMH",
    "EXPRESSWAY",
    "HIGHWAY",
    "OLD_CITY",
    "STREET",
    "Camera",
    "RoadNetwork",
    "road_class",
]

# Road classes, fastest first, and their free-flow speeds.
EXPRESSWAY, HIGHWAY, ARTERIAL, STREET, OLD_CITY = range(5)
CLASS_SPEED_KMH = (100.0, 70.0, 50.0, 40.0, 30.0)
_CLASS_SPEED_MS = tuple(kmh / 3.6 for kmh in CLASS_SPEED_KMH)
_UNDRIVABLE_KINDS = frozenset({"waterway_checkpoint", "water_duty_point"})


def road_class(road: str) -> int:
    """Class of a named road, from what the name says (高速 expressway, G/S + number, 环 ring roads)."""
    if "高速" in road or "快速" in road:
        return EXPRESSWAY
    if road[:1] in ("G", "S") and road[1:2].isdigit():
        return HIGHWAY
    if "环" in road or "大道" in road:
        return ARTERIAL
    return STREET


@dataclass(frozen=True, slots=True)
class Camera:
    """An electronic checkpoint's camera site, and the gateway that sends its reads."""

    lanes_each_way: int
    gateway_id: str
    style: str  # how the gateway spells plates: plain, dot or fullwidth


@dataclass
class RoadNetwork:
    """The drivable checkpoint graph with one shortest-path tree per hub; built once per topology and seed."""

    ids: list[str]
    kinds: list[str]
    locations: list[geo.LonLat]
    rings: list[str | None]
    names: list[str]
    cameras: dict[int, Camera]  # node → camera site (electronic checkpoints only)
    edges: list[tuple[tuple[int, float, int], ...]]  # node → (neighbour, metres, road class)
    centre_distance_m: list[float]
    drivable: list[int]  # nodes vehicles use, sorted
    gateways: list[int]  # where visitors enter and leave the city
    hubs: list[int]
    attraction: list[float]
    next_hop: list[list[int]]  # hub index → node → next node toward the hub (-1 at the hub, or unreachable)
    travel_s: list[list[float]]  # hub index → node → free-flow seconds to the hub
    nearest_hub: list[int]  # node → hub index (-1 for undrivable nodes)
    catchment: list[list[int]]  # hub index → nodes whose nearest hub it is
    read_delay_s: float = 0.0  # mean time from a trip's departure to one of its reads (rate control)
    links: list[dict[int, tuple[float, int]]] = field(default_factory=list)  # node → neighbour → (m, class)

    def __post_init__(self) -> None:
        self.links = [{n: (metres, kind) for n, metres, kind in found} for found in self.edges]

    @classmethod
    def build(cls, topology: Topology, seed: int, hubs: int = 64) -> RoadNetwork:
        """One Dijkstra per hub: a fifth of a second for the seed's 3,400 points."""
        rng = random.Random(f"network:{seed}")
        ids = sorted(topology.points)
        index = {point_id: i for i, point_id in enumerate(ids)}
        points = [topology.points[point_id] for point_id in ids]
        core = topology.rings.get("core")
        in_core = [core is not None and (p.ring == "core" or core.contains(p.location)) for p in points]
        usable = [p.kind not in _UNDRIVABLE_KINDS for p in points]
        edges: list[tuple[tuple[int, float, int], ...]] = []
        for i, point in enumerate(points):
            found = []
            for neighbour_id in sorted(set(point.neighbours)):
                j = index[neighbour_id]
                other = points[j]
                # The city ring's points are linked along the municipal boundary: a line on the map, no road.
                if not (usable[i] and usable[j]) or (point.ring == "city" and other.ring == "city"):
                    continue
                kind = (
                    road_class(point.road)
                    if point.road == other.road
                    else max(road_class(point.road), road_class(other.road))
                )
                if in_core[i] and in_core[j] and kind >= ARTERIAL:
                    kind = OLD_CITY
                found.append((j, geo.distance_m(point.location, other.location), kind))
            edges.append(tuple(found))
        drivable = _largest_component(edges)
        if not any(points[i].kind == "electronic_checkpoint" for i in drivable):
            raise ValueError("the topology has no electronic checkpoint on its road graph")
        if core is not None:
            centre = (
                sum(lon for lon, _ in core.polygon) / len(core.polygon),
                sum(lat for _, lat in core.polygon) / len(core.polygon),
            )
        else:
            centre = (
                sum(p.location[0] for p in points) / len(points),
                sum(p.location[1] for p in points) / len(points),
            )
        centre_distance = [geo.distance_m(centre, p.location) for p in points]
        cameras: dict[int, Camera] = {}
        camera_nodes = [i for i in drivable if points[i].kind == "electronic_checkpoint"]
        for ordinal, i in enumerate(camera_nodes):
            fastest = min((kind for _, _, kind in edges[i]), default=STREET)
            lanes = 3 if fastest == EXPRESSWAY else 2 if fastest <= ARTERIAL else 1 + (rng.random() < 0.4)
            gateway = ordinal // 120  # a gateway serves a district's cameras, and spells plates its own way
            style = "fullwidth" if gateway % 20 == 7 else "dot" if gateway % 3 == 1 else "plain"
            cameras[i] = Camera(lanes, f"gw-sim-{gateway:02d}", style)
        gateways = [i for i in drivable if points[i].ring == "city"]
        if not gateways:
            gateways = sorted(drivable, key=lambda i: (-centre_distance[i], i))[:8]
        hub_nodes = sorted(rng.sample(drivable, min(hubs, len(drivable))))
        attraction = [rng.lognormvariate(0.0, 0.6) for _ in hub_nodes]
        next_hop: list[list[int]] = []
        travel_s: list[list[float]] = []
        for hub in hub_nodes:
            hops, seconds = _shortest_path_tree(edges, hub, len(points))
            next_hop.append(hops)
            travel_s.append(seconds)
        nearest = [-1] * len(points)
        catchment: list[list[int]] = [[] for _ in hub_nodes]
        for i in drivable:
            best = min(range(len(hub_nodes)), key=lambda h: (travel_s[h][i], h))
            nearest[i] = best
            catchment[best].append(i)
        network = cls(
            ids=ids,
            kinds=[p.kind for p in points],
            locations=[p.location for p in points],
            rings=[p.ring for p in points],
            names=[p.name or p.id for p in points],
            cameras=cameras,
            edges=edges,
            centre_distance_m=centre_distance,
            drivable=drivable,
            gateways=gateways,
            hubs=hub_nodes,
            attraction=attraction,
            next_hop=next_hop,
            travel_s=travel_s,
            nearest_hub=nearest,
            catchment=catchment,
        )
        network.read_delay_s = network._mean_read_delay(random.Random(f"calibration:{seed}"))
        return network

    def route(self, origin: int, destination: int) -> list[int]:
        """Nodes from `origin` to `destination`: the quicker of the paths in the shortest-path trees of the
        hubs nearest each end (within one tree, up toward its hub until the branches meet, then down)."""
        toward = self._tree_path(origin, destination)
        back = self._tree_path(destination, origin)[::-1]
        return toward if self._free_flow_s(toward) <= self._free_flow_s(back) else back

    def _free_flow_s(self, path: Sequence[int]) -> float:
        links = self.links
        return sum(
            metres / _CLASS_SPEED_MS[kind]
            for metres, kind in (links[a][b] for a, b in zip(path, path[1:], strict=False))
        )

    def _tree_path(self, origin: int, destination: int) -> list[int]:
        """The path between two nodes in the shortest-path tree of the hub nearest `destination`."""
        hops = self.next_hop[self.nearest_hub[destination]]
        down = [destination]
        position = {destination: 0}
        node = destination
        while hops[node] >= 0:
            node = hops[node]
            position[node] = len(down)
            down.append(node)
        path = [origin]
        node = origin
        while node not in position:
            node = hops[node]
            path.append(node)
        path.extend(reversed(down[: position[node]]))
        return path

    def activity(self, rng: random.Random, at: int) -> int:
        """Where a vehicle at `at` goes next for work, shopping or errands: a hub's catchment, hubs nearer
        in travel time being likelier (a 10-minute decay), bigger hubs likelier."""
        weights = [
            attraction * math.exp(-seconds[at] / 600.0)
            for attraction, seconds in zip(self.attraction, self.travel_s, strict=True)
        ]
        hub = rng.choices(range(len(self.hubs)), weights=weights)[0]
        place = rng.choice(self.catchment[hub])
        return place if place != at else self.hubs[hub]

    def _mean_read_delay(self, rng: random.Random) -> float:
        """Mean seconds from departure to a read, over sample trips at free-flow speed."""
        delays: list[float] = []
        for _ in range(300):
            origin = rng.choice(self.drivable)
            path = self.route(origin, self.activity(rng, origin))
            elapsed = 0.0
            for a, b in zip(path, path[1:], strict=False):
                metres, kind = self.links[a][b]
                elapsed += metres / _CLASS_SPEED_MS[kind]
                if b in self.cameras:
                    delays.append(elapsed)
        return sum(delays) / len(delays) if delays else 0.0


def _largest_component(edges: Sequence[tuple[tuple[int, float, int], ...]]) -> list[int]:
    seen = [False] * len(edges)
    best: list[int] = []
    for start in range(len(edges)):
        if seen[start] or not edges[start]:
            continue
        seen[start] = True
        members = [start]
        stack = [start]
        while stack:
            for neighbour, _, _ in edges[stack.pop()]:
                if not seen[neighbour]:
                    seen[neighbour] = True
                    members.append(neighbour)
                    stack.append(neighbour)
        if len(members) > len(best):
            best = members
    return sorted(best)


def _shortest_path_tree(
    edges: Sequence[tuple[tuple[int, float, int], ...]], hub: int, size: int
) -> tuple[list[int], list[float]]:
    """Dijkstra from `hub` on free-flow travel time: each node's next hop toward the hub, and its seconds."""
    seconds = [math.inf] * size
    hops = [-1] * size
    seconds[hub] = 0.0
    queue = [(0.0, hub)]
    while queue:
        elapsed, node = heapq.heappop(queue)
        if elapsed > seconds[node]:
            continue
        for neighbour, metres, kind in edges[node]:
            candidate = elapsed + metres / _CLASS_SPEED_MS[kind]
            if candidate < seconds[neighbour]:
                seconds[neighbour] = candidate
                hops[neighbour] = node
                heapq.heappush(queue, (candidate, neighbour))
    return hops, seconds
