"""City traffic for `citygate simulate`: vehicles on the checkpoint road graph, read at every camera passed.

Why a model and not random hits: a plate's sightings must be physically consistent (road neighbours, times
a car can make), or the correlator's direction and intercept logic has nothing true to work on, and a demo
shows nonsense. Everything here is pure and seeded (one `random.Random`, dicts and sets walked in sorted
order), with time passed in, so one seed and one start always give the same messages.

The model, in brief:

* `RoadNetwork` is the drivable part of the topology's graph (no water points, no edges along the municipal
  boundary line between two city-ring points, largest connected part). Edge speeds come from the road's
  class (expressway, national/provincial road, ring or arterial, street, old-city street). A few dozen
  *hubs* (activity centres) each get one Dijkstra at start: its shortest-path tree gives every node a next
  hop toward the hub, so a trip X → Y is the path between them in the tree of the hub nearest Y (or of the
  one nearest X, whichever is quicker) — no search per trip.
* Vehicles live at a home node (residents) or outside the city (visitors enter and leave through the
  city-ring gateways); they chain trips home → activity → (activity →) home with dwell times between, and
  keep their plate for the whole run.
* Trips are spawned along a daily profile (`DAILY_PROFILE`, local time): after spawning a trip that will
  make k reads, the next spawn is k / target-rate later, the rate taken half a trip ahead, so the produced
  hit rate follows the target with no drift and no Poisson noise in the count. The run starts with a
  warm-up (trips already on the road at the start; their earlier reads are not emitted).
* Each read gets OCR noise (confusable characters, dropped characters, low confidence), top-N candidates
  that include the true plate, and sometimes a second read by a neighbouring lane.
* Patrol units walk or drive between points near the street workstations and report their position;
  security guards report from their post now and then (`position` reports: they never open incidents;
  suspicious-activity reports only with `suspicious_share` > 0).

Every emitted hit carries its ground truth (`HitTruth`) for tests and tools.
"""
# ruff: noqa: S311 - `random` models traffic here, it guards no secret

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import accumulate

from streams.domain.geography import geo
from streams.domain.geography.topology import Topology
from streams.domain.matching.equivalence import CONFUSABLE_CLASSES
from streams.domain.matching.plates import is_valid_plate

__all__ = [
    "DAILY_PROFILE",
    "MAX_SPEED_KMH",
    "Emission",
    "HitTruth",
    "RoadNetwork",
    "SimulatedVehicle",
    "TrafficConfig",
    "TrafficSimulation",
    "watchlist_entries",
]

# Share of a day's reads in each local hour, 00:00 first: a morning peak at 08:00 and an evening one at 17:00,
# the shape of urban ANPR counts. The rate runs linearly between the hours' midpoints (traffic has no steps),
# which makes the 08:00 hour's share about 9.3% and 17:00's 8.4%.
DAILY_PROFILE: tuple[float, ...] = tuple(
    share / 100.0
    for share in (
        0.9, 0.6, 0.45, 0.4, 0.55, 1.3, 3.2, 7.6, 10.0, 6.4, 5.2, 5.1,
        4.4, 4.7, 4.9, 5.2, 6.4, 9.0, 7.1, 5.2, 4.2, 3.4, 2.3, 1.5,
    )
)  # fmt: skip
CITY_HITS_PER_DAY = 14_000_000  # the seed's 3,160 sites at rate 1.0

MAX_SPEED_KMH = 120.0  # no simulated vehicle is ever faster
MIN_SPEED_KMH = 10.0  # nor slower while moving
MAX_JUNCTION_DELAY_S = 45.0  # the longest wait at a node (traffic lights) between two edges

EXPRESSWAY, HIGHWAY, ARTERIAL, STREET, OLD_CITY = range(5)
_CLASS_SPEED_KMH = (100.0, 70.0, 50.0, 40.0, 30.0)
_CLASS_SPEED_MS = tuple(kmh / 3.6 for kmh in _CLASS_SPEED_KMH)
_JUNCTION_STOP_CHANCE = (0.0, 0.15, 0.3, 0.35, 0.4)
_UNDRIVABLE_KINDS = frozenset({"waterway_checkpoint", "water_duty_point"})

INBOUND, OUTBOUND, UNKNOWN = "inbound", "outbound", "unknown"

# Plates: (province, letters and weights, share of all vehicles, share of them living in the city).
_REGISTRATIONS: tuple[tuple[str, str, float, float], ...] = (
    ("苏", "K", 78.0, 1.0),
    ("苏", "AAAMMHHLLDEBFJCNG", 12.0, 0.4),
    ("皖", "ABCDEFHJKLMNPRS", 3.5, 0.15),
    ("沪", "ABCDEFGHJKLMN", 1.8, 0.15),
    ("浙", "ABCDEFGHJKL", 1.8, 0.15),
    ("鲁", "ABCDEFGHJKLMNPQRSU", 1.0, 0.15),
    ("豫", "ABCDEFGHJKLMNPQRSU", 0.5, 0.15),
    ("粤", "ABCDEFGHJKLMNPQRSTUVWXY", 0.3, 0.1),
    ("京", "ABCEFGHJKLMNPQ", 0.3, 0.1),
    ("鄂", "ABCDEFGHJKLMNPQRS", 0.3, 0.1),
    ("赣", "ABCDEFGHJKLM", 0.2, 0.1),
    ("闽", "ABCDEFGHJK", 0.2, 0.1),
    ("川", "ABCDEFHJKLMQRSTUVWXYZ", 0.2, 0.1),
    ("冀", "ABCDEFGHJRT", 0.2, 0.1),
)
_REGISTRATION_WEIGHTS = tuple(accumulate(r[2] for r in _REGISTRATIONS))
_SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # GA 36-2018: never I or O
_DIGITS = "0123456789"
_VEHICLE_COLOURS = (
    ("白色", 35),
    ("黑色", 22),
    ("银色", 15),
    ("灰色", 12),
    ("红色", 5),
    ("蓝色", 5),
    ("棕色", 3),
)
_COLOUR_WEIGHTS = tuple(accumulate(w for _, w in _VEHICLE_COLOURS))
_CONFUSABLE_MATES = {ch: group.replace(ch, "") for group in CONFUSABLE_CLASSES for ch in group}
# How gateways spell a plate: plain, with the middle dot after the authority letter, or full-width.
_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@dataclass(frozen=True, slots=True)
class TrafficConfig:
    """What the simulated city looks like; the defaults are the seed's city at `rate` 1.0."""

    rate: float = 1.0  # share of the city's traffic (1.0 = ~14 M reads a day)
    hits_per_day: float = CITY_HITS_PER_DAY
    profile: tuple[float, ...] = DAILY_PROFILE
    utc_offset_minutes: int = 8 * 60  # the profile's local time (and the offset written in messages)
    new_energy_share: float = 0.13
    duplicate_share: float = 0.04  # passes also read by a neighbouring lane
    confusable_share: float = 0.03  # reads with one confusable character swapped (still a valid plate)
    dropped_share: float = 0.005  # reads missing a character (not a plate: dead-lettered by the worker)
    low_confidence_share: float = 0.05  # right text, confidence 0.3..0.6
    warmup_s: float = 2 * 3600.0  # trips already on the road when the run starts (long ones take 1.5 h)
    patrols_per_workstation: int = 2
    guards: int = 30
    guard_report_every_s: float = 45 * 60.0
    workstation_report_every_s: float = 60 * 60.0
    suspicious_share: float = 0.0  # guard reports of suspicious activity (these open incidents): off

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"rate must be positive, got {self.rate}")
        if len(self.profile) != 24 or min(self.profile) <= 0:
            raise ValueError("profile needs 24 positive hourly shares")
        noise = self.confusable_share + self.dropped_share + self.low_confidence_share
        if not (0 <= self.duplicate_share <= 1 and 0 <= noise <= 1 and 0 <= self.new_energy_share <= 1):
            raise ValueError("shares must be between 0 and 1")

    @property
    def local_time(self) -> timezone:
        return timezone(timedelta(minutes=self.utc_offset_minutes))

    def hourly_shares(self) -> tuple[float, ...]:
        total = sum(self.profile)
        return tuple(share / total for share in self.profile)


@dataclass(frozen=True, slots=True)
class SimulatedVehicle:
    vehicle_id: str
    plate: str  # normalised, valid GA 36-2018 text
    plate_colour: str
    vehicle_type: str
    vehicle_colour: str
    resident: bool
    special: bool  # police or driving-school plate: never put on a sample watchlist


@dataclass(frozen=True, slots=True)
class HitTruth:
    """What really happened behind one read."""

    vehicle_id: str
    plate: str  # the true normalised plate
    trip: int  # the trip's number (global, in order of departure)
    checkpoint_id: str
    via: tuple[str, ...]  # points passed since this vehicle's previous sighting, neither checkpoint included
    duplicate: bool  # the second lane's read of one pass
    noise: str  # none, confusable, dropped, low_confidence


@dataclass(frozen=True, slots=True)
class Emission:
    """One message to send: `kind` is "hit" (anpr.hits, key checkpoint id) or "report" (patrol.reports)."""

    kind: str
    key: str
    message: dict[str, object]
    at_ms: int  # event time, epoch milliseconds
    truth: HitTruth | None = None


# --------------------------------------------------------------------------------------------- network


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
class _Camera:
    lanes_each_way: int
    gateway_id: str
    style: str


@dataclass
class RoadNetwork:
    """The drivable checkpoint graph with one shortest-path tree per hub; built once per topology and seed."""

    ids: list[str]
    kinds: list[str]
    locations: list[geo.LonLat]
    rings: list[str | None]
    names: list[str]
    cameras: dict[int, _Camera]  # node → camera site (electronic checkpoints only)
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
        cameras: dict[int, _Camera] = {}
        camera_nodes = [i for i in drivable if points[i].kind == "electronic_checkpoint"]
        for ordinal, i in enumerate(camera_nodes):
            fastest = min((kind for _, _, kind in edges[i]), default=STREET)
            lanes = 3 if fastest == EXPRESSWAY else 2 if fastest <= ARTERIAL else 1 + (rng.random() < 0.4)
            gateway = ordinal // 120  # a gateway serves a district's cameras, and spells plates its own way
            style = "fullwidth" if gateway % 20 == 7 else "dot" if gateway % 3 == 1 else "plain"
            cameras[i] = _Camera(lanes, f"gw-sim-{gateway:02d}", style)
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


# ------------------------------------------------------------------------------------------ simulation


@dataclass(slots=True)
class _Vehicle:
    number: int
    public: SimulatedVehicle
    home: int  # a node in the city, or -1 for a visitor (who lives beyond a gateway)
    at: int
    trail: list[int] = field(default_factory=list)  # nodes passed since the last sighting


@dataclass(slots=True)
class _Trip:
    number: int
    vehicle: _Vehicle
    # (event ms, node, direction, second lane's delay in ms or 0, points passed since the previous sighting)
    passes: list[tuple[int, int, str, int, tuple[int, ...]]]
    next_pass: int = 0


@dataclass(slots=True)
class _Unit:
    unit_id: str
    unit_kind: str
    post: int  # the node it belongs to
    beat: list[int]  # nodes it patrols (empty: it stays at its post)
    speed_ms: float
    at: int
    reports: int = 0


_SPAWN, _PASS, _UNIT = 0, 1, 2
_CATCH_UP_S = 1200.0  # how fast the rate control makes up a shortfall of reads


class TrafficSimulation:
    """The city's traffic from `start` on: call `advance(until)` for every message up to `until`, in order.

    The result does not depend on how the time is cut into `advance` calls: every event is one entry of a
    single time-ordered queue, ties broken by insertion order, and all randomness is drawn in that order.
    """

    def __init__(
        self, network: RoadNetwork, start: datetime, *, seed: int, config: TrafficConfig | None = None
    ) -> None:
        self.network = network
        self.config = config or TrafficConfig()
        self.seed = seed
        self.start_ms = _epoch_ms(start)
        self._rng = random.Random(f"traffic:{seed}")
        self._shares = self.config.hourly_shares()
        self._offset_ms = self.config.utc_offset_minutes * 60_000
        self._local = self.config.local_time
        self._offset_text = _offset_text(self.config.utc_offset_minutes)
        self._queue: list[tuple[int, int, int, object]] = []
        self._sequence = 0
        self._parked: list[tuple[int, int]] = []  # (free from ms, vehicle number)
        self._vehicles: list[_Vehicle] = []
        self._plates: set[str] = set()
        self._trips = 0
        self._hits = 0
        self._time_prefix: dict[int, tuple[str, str, str]] = {}
        self.counts = {"hits": 0, "reports": 0, "noisy": 0, "duplicates": 0}  # of emitted messages
        self._read_delay_ms = network.read_delay_s * 1000  # learnt from the trips as they leave
        self._clock_ms = self.start_ms - int(self.config.warmup_s * 1000)
        self._scheduled: dict[int, int] = {}  # minute since the epoch → reads scheduled in it
        self._shortfall = 0.0  # target minus scheduled reads, over the minutes counted so far
        self._minute = self._clock_ms // 60_000
        # The road is empty when the warm-up begins: count against the target only once it has filled up.
        self._accounting_from_ms = self.start_ms - int(self.config.warmup_s * 500)
        self._push(self._clock_ms, _SPAWN, None)
        for unit in self._make_units():
            self._push(self._clock_ms + self._rng.randrange(0, 600_000), _UNIT, unit)
        self._run(self.start_ms, emit=False)

    # --- public

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock_ms / 1000, self._local)

    def advance(self, until: datetime) -> list[Emission]:
        """Every message with an event time from the current clock up to (not including) `until`, in time
        order; a second lane's read comes right after the first one's (its time is 60–400 ms later)."""
        return self._run(_epoch_ms(until), emit=True)

    def target_rate(self, moment: datetime) -> float:
        """Reads per second the profile asks for at `moment`."""
        return self._rate_at(_epoch_ms(moment))

    def expected_hits(self, start: datetime, end: datetime) -> float:
        """Reads the profile asks for between `start` and `end` (the target the rate control follows)."""
        a, b = _epoch_ms(start), _epoch_ms(end)
        total = 0.0
        while a < b:
            # The rate is linear between hour midpoints: the trapezoid rule is exact on each piece.
            since_midpoint = (a + self._offset_ms - 1_800_000) % 3_600_000
            boundary = min(b, a - since_midpoint + 3_600_000)
            total += (self._rate_at(a) + self._rate_at(boundary)) / 2 * (boundary - a) / 1000
            a = boundary
        return total

    def vehicles_on_the_road(self, count: int) -> list[SimulatedVehicle]:
        """Up to `count` vehicles read soonest from now that have several reads ahead (for a sample
        watchlist that alerts within seconds); police and driving-school cars are left out."""
        upcoming = sorted(
            (entry[0], trip.vehicle.number, trip.vehicle)
            for entry in self._queue
            if entry[2] == _PASS
            and isinstance(trip := entry[3], _Trip)
            and len(trip.passes) - trip.next_pass >= 3
            and not trip.vehicle.public.special
        )
        chosen: list[SimulatedVehicle] = []
        for _, _, vehicle in upcoming:
            if vehicle.public not in chosen:
                chosen.append(vehicle.public)
            if len(chosen) == count:
                break
        return chosen

    # --- the event queue

    def _push(self, at_ms: int, kind: int, payload: object) -> None:
        self._sequence += 1
        heapq.heappush(self._queue, (at_ms, self._sequence, kind, payload))

    def _run(self, until_ms: int, *, emit: bool) -> list[Emission]:
        out: list[Emission] = []
        queue = self._queue
        while queue and queue[0][0] < until_ms:
            at_ms, _, kind, payload = heapq.heappop(queue)
            if kind == _PASS:
                assert isinstance(payload, _Trip)  # noqa: S101 - the queue's own invariant
                self._pass(payload, at_ms, out if emit and at_ms >= self.start_ms else None)
            elif kind == _SPAWN:
                self._spawn(at_ms)
            else:
                assert isinstance(payload, _Unit)  # noqa: S101
                self._unit_event(payload, at_ms, out if emit and at_ms >= self.start_ms else None)
        self._clock_ms = max(self._clock_ms, until_ms)
        return out

    # --- rate control

    def _rate_at(self, at_ms: int) -> float:
        hours = ((at_ms + self._offset_ms - 1_800_000) % 86_400_000) / 3_600_000
        hour = int(hours)
        part = hours - hour
        share = self._shares[hour] * (1.0 - part) + self._shares[(hour + 1) % 24] * part
        return self.config.rate * self.config.hits_per_day * share / 3600.0

    def _spawn(self, at_ms: int) -> None:
        reads = self._start_trip(at_ms)
        # Feed-forward: the next trip leaves when this one's reads are "paid for" at the rate asked for when
        # a trip leaving now makes its reads, on average. Feedback: the trip mix changes over the day (long
        # trips home in the evening), so the reads scheduled so far are compared minute by minute with the
        # target, and a shortfall (or excess) is made up over the next `_CATCH_UP_S`.
        self._count_landed(at_ms)
        ahead = self._rate_at(at_ms + round(self._read_delay_ms))
        rate = min(3.0 * ahead, max(0.25 * ahead, ahead + self._shortfall / _CATCH_UP_S))
        self._push(at_ms + max(1, round(max(reads, 0.05) / rate * 1000)), _SPAWN, None)

    def _count_landed(self, at_ms: int) -> None:
        """Move the reads of every elapsed minute from the schedule into the shortfall against the target."""
        minute = at_ms // 60_000
        while self._minute < minute:
            begin = self._minute * 60_000
            if begin >= self._accounting_from_ms:
                self._shortfall += (self._rate_at(begin) + self._rate_at(begin + 60_000)) * 30.0
                self._shortfall -= self._scheduled.pop(self._minute, 0)
            else:
                self._scheduled.pop(self._minute, None)
            self._minute += 1

    # --- vehicles and trips

    def _vehicle(self, at_ms: int) -> _Vehicle:
        """The vehicle that has been ready to leave the longest, or a new one when none is ready."""
        if self._parked and self._parked[0][0] <= at_ms:
            return self._vehicles[heapq.heappop(self._parked)[1]]
        rng = self._rng
        number = len(self._vehicles)
        public, resident = self._new_plate(number)
        network = self.network
        home = rng.choice(network.drivable) if resident else -1
        at = home if resident else rng.choice(network.gateways)
        vehicle = _Vehicle(number, public, home, at, [] if at in network.cameras else [at])
        self._vehicles.append(vehicle)
        return vehicle

    def _start_trip(self, at_ms: int) -> int:
        """Send a vehicle on its next trip; return how many reads the trip will make."""
        rng = self._rng
        network = self.network
        vehicle = self._vehicle(at_ms)
        going_home = vehicle.at != _home_of(vehicle, network) and rng.random() < 0.65
        if going_home:
            destination = (
                vehicle.home
                if vehicle.home >= 0
                else min(network.gateways, key=lambda g: _far(network, vehicle.at, g))
            )
        else:
            destination = network.activity(rng, vehicle.at)
        if destination == vehicle.at:
            destination = network.activity(rng, vehicle.at)
        path = network.route(vehicle.at, destination) if destination != vehicle.at else [vehicle.at]
        self._trips += 1
        driver = rng.uniform(0.85, 1.12)
        clock = float(at_ms)
        passes: list[tuple[int, int, str, int, tuple[int, ...]]] = []
        trail = vehicle.trail
        centre = network.centre_distance_m
        reads = 0
        links = network.links
        for step in range(1, len(path)):
            a, b = path[step - 1], path[step]
            metres, kind = links[a][b]
            if step > 1 and rng.random() < _JUNCTION_STOP_CHANCE[kind]:
                clock += rng.uniform(5.0, MAX_JUNCTION_DELAY_S) * 1000
            # No rush-hour slowdown: travel times that change with the hour would shift reads in time
            # against the rate control (the class speeds are already typical of a busy day).
            speed = _CLASS_SPEED_KMH[kind] * driver * rng.uniform(0.9, 1.1)
            speed = min(MAX_SPEED_KMH - 5.0, max(MIN_SPEED_KMH, speed))
            clock += metres / (speed / 3.6) * 1000
            if b in network.cameras:
                after = path[step + 1] if step + 1 < len(path) else b
                before, later = centre[a], centre[after]
                direction = INBOUND if later < before else OUTBOUND if later > before else UNKNOWN
                second_lane = rng.randint(60, 400) if rng.random() < self.config.duplicate_share else 0
                passes.append((round(clock), b, direction, second_lane, tuple(trail)))
                minute = round(clock) // 60_000
                self._scheduled[minute] = self._scheduled.get(minute, 0) + (2 if second_lane else 1)
                reads += 2 if second_lane else 1
                trail = []
            else:
                trail.append(b)
        vehicle.trail = trail
        vehicle.at = path[-1]
        if passes:
            # Read-weighted (long trips make more reads, later), forgetting over some thousands of reads.
            delay = sum(p[0] for p in passes) / len(passes) - at_ms
            self._read_delay_ms += (delay - self._read_delay_ms) * min(0.5, len(passes) / 2000)
        arrived = round(clock)
        if vehicle.at == _home_of(vehicle, network):
            dwell_h = rng.uniform(12.0, 48.0) if vehicle.home < 0 else rng.uniform(4.0, 14.0)
        else:
            dwell_h = rng.choice((rng.uniform(0.3, 1.5), rng.uniform(6.0, 9.0), rng.uniform(1.0, 3.0)))
        heapq.heappush(self._parked, (arrived + round(dwell_h * 3_600_000), vehicle.number))
        # Reads before the start (warm-up) are never emitted and draw nothing at random: skip them here.
        first = bisect_left(passes, self.start_ms, key=lambda p: p[0]) if at_ms < self.start_ms else 0
        if first < len(passes):
            self._push(passes[first][0], _PASS, _Trip(self._trips, vehicle, passes, first))
        return reads

    def _new_plate(self, number: int) -> tuple[SimulatedVehicle, bool]:
        rng = self._rng
        province, letters, _, resident_share = _REGISTRATIONS[
            bisect_right(_REGISTRATION_WEIGHTS, rng.random() * _REGISTRATION_WEIGHTS[-1])
        ]
        resident = rng.random() < resident_share
        local = province + letters == "苏K"
        while True:
            authority = rng.choice(letters)
            roll = rng.random()
            special = False
            if roll < self.config.new_energy_share * 0.94:
                serial = rng.choice("DDDF") + rng.choice(_SERIAL_LETTERS + _DIGITS) + _digits(rng, 4)
                colour, kind = "green", _pick(rng, (("car", 70), ("suv", 24), ("taxi", 6)))
            elif roll < self.config.new_energy_share:
                serial = _digits(rng, 5) + rng.choice("DF")
                colour, kind = "yellow_green", _pick(rng, (("bus", 70), ("truck", 30)))
            elif local and roll > 0.995:
                special = True  # police (0.2%) and driving-school (0.3%) cars
                marker = "警" if roll > 0.998 else "学"
                serial = _digits(rng, 4) + marker
                colour, kind = ("white", "suv") if marker == "警" else ("yellow", "car")
            elif roll > 0.9:
                serial = _ordinary_serial(rng)
                colour, kind = "yellow", _pick(rng, (("truck", 75), ("bus", 25)))
            else:
                serial = _ordinary_serial(rng)
                colour, kind = "blue", _pick(rng, (("car", 68), ("suv", 23), ("van", 5), ("taxi", 4)))
            plate = province + authority + serial
            if plate not in self._plates and is_valid_plate(plate):
                break
        self._plates.add(plate)
        body = "白色" if special and colour == "white" else _pick(rng, _VEHICLE_COLOURS, _COLOUR_WEIGHTS)
        vehicle = SimulatedVehicle(f"V{number:07d}", plate, colour, kind, body, resident, special)
        return vehicle, resident

    # --- reads

    def _pass(self, trip: _Trip, at_ms: int, out: list[Emission] | None) -> None:
        event_ms, node, direction, second_lane, via = trip.passes[trip.next_pass]
        trip.next_pass += 1
        if trip.next_pass < len(trip.passes):
            self._push(trip.passes[trip.next_pass][0], _PASS, trip)
        if out is None:
            return
        network = self.network
        camera = network.cameras[node]
        lanes = camera.lanes_each_way
        first_lane = 1 + (lanes if direction == OUTBOUND else 0)  # inbound lanes first, then outbound ones
        lane = first_lane + self._rng.randint(0, lanes - 1)
        via_ids = tuple(network.ids[i] for i in via)
        out.append(self._hit(trip, event_ms, node, camera, lane, direction, via_ids, duplicate=False))
        if second_lane:
            # The next lane the same way; with one lane each way, a second frame of the same lane.
            last_lane = first_lane + lanes - 1
            other = lane + 1 if lane < last_lane else max(first_lane, lane - 1)
            out.append(
                self._hit(
                    trip, event_ms + second_lane, node, camera, other, direction, via_ids, duplicate=True
                )
            )

    def _hit(
        self,
        trip: _Trip,
        event_ms: int,
        node: int,
        camera: _Camera,
        lane: int,
        direction: str,
        via: tuple[str, ...],
        *,
        duplicate: bool,
    ) -> Emission:
        rng = self._rng
        config = self.config
        vehicle = trip.vehicle.public
        plate = vehicle.plate
        checkpoint = self.network.ids[node]
        dropped, confusable = config.dropped_share, config.confusable_share
        roll = rng.random()
        swapped = _confusable_variant(rng, plate) if dropped <= roll < dropped + confusable else None
        if roll < dropped:
            noise, read, confidence = "dropped", _dropped_character(rng, plate), rng.uniform(0.35, 0.7)
        elif swapped is not None:
            noise, read, confidence = "confusable", swapped, rng.uniform(0.55, 0.85)
        elif dropped + confusable <= roll < dropped + confusable + config.low_confidence_share:
            noise, read, confidence = "low_confidence", plate, rng.uniform(0.3, 0.6)
        else:  # a clean read (also when a plate has no confusable character to swap)
            noise, read, confidence = "none", plate, rng.uniform(0.86, 0.99)
        confidence = round(confidence, 3)
        candidates = [{"text": _spell(read, camera.style), "confidence": confidence}]
        if read != plate:
            candidates.append({"text": _spell(plate, camera.style), "confidence": round(confidence * 0.6, 3)})
        if noise != "none" or rng.random() < 0.3:
            variant = _confusable_variant(rng, plate)
            if variant is not None and variant != read:
                candidates.append(
                    {"text": _spell(variant, camera.style), "confidence": round(rng.uniform(0.02, 0.2), 3)}
                )
        self._hits += 1
        seconds, millis = divmod(event_ms, 1000)
        iso, day, clock = self._prefix(seconds)
        shot = f"s3://anpr-images/{checkpoint}/{day}/{clock}{millis:03d}_L{lane:02d}"
        message: dict[str, object] = {
            "schema_version": 1,
            "hit_id": f"sim{self.seed}-{checkpoint}-{event_ms}-L{lane}-{self._hits:x}",
            "checkpoint_id": checkpoint,
            "lane": lane,
            "direction": direction,
            "event_time": f"{iso}.{millis:03d}{self._offset_text}",
            "plate_text": _spell(read, camera.style),
            "plate_confidence": confidence,
            "candidates": candidates,
            "plate_colour": vehicle.plate_colour,
            "vehicle_type": vehicle.vehicle_type,
            "vehicle_colour": vehicle.vehicle_colour,
            "image_refs": [f"{shot}_plate.jpg", f"{shot}_scene.jpg"],
            "gateway_id": camera.gateway_id,
        }
        self.counts["hits"] += 1
        self.counts["noisy"] += noise != "none"
        self.counts["duplicates"] += duplicate
        truth = HitTruth(vehicle.vehicle_id, plate, trip.number, checkpoint, via, duplicate, noise)
        return Emission("hit", checkpoint, message, event_ms, truth)

    def _prefix(self, epoch_s: int) -> tuple[str, str, str]:
        """(RFC 3339 date and time to the second, image folder date, image file time) for a second."""
        cached = self._time_prefix.get(epoch_s)
        if cached is None:
            if len(self._time_prefix) > 4096:
                self._time_prefix.clear()
            moment = datetime.fromtimestamp(epoch_s, self._local)
            cached = (
                moment.strftime("%Y-%m-%dT%H:%M:%S"),
                moment.strftime("%Y/%m/%d"),
                moment.strftime("%H%M%S"),
            )
            self._time_prefix[epoch_s] = cached
        return cached

    # --- patrols and guards

    def _make_units(self) -> list[_Unit]:
        rng = self._rng
        network = self.network
        units: list[_Unit] = []
        drivable = network.drivable
        workstations = [i for i, kind in enumerate(network.kinds) if kind == "street_workstation"]
        for post in workstations:
            here = network.locations[post]
            near = sorted(drivable, key=lambda i: (geo.distance_m(here, network.locations[i]), i))[1:13]
            name = network.ids[post]
            units.append(_Unit(f"SIM-{name}", "workstation", post, [], 0.0, post))
            for k in range(self.config.patrols_per_workstation):
                unit_kind = ("patrol_car", "foot", "motorcycle")[k % 3]
                speed_kmh = {"patrol_car": 30.0, "foot": 4.5, "motorcycle": 25.0}[unit_kind]
                units.append(_Unit(f"SIM-{name}-P{k + 1}", unit_kind, post, near, speed_kmh / 3.6, post))
        homes = [i for i in drivable if network.rings[i] is None]
        for k in range(self.config.guards):
            post = rng.choice(homes or drivable)
            units.append(_Unit(f"SIM-GD-{k + 1:03d}", "security_guard", post, [], 0.0, post))
        return units

    def _unit_event(self, unit: _Unit, at_ms: int, out: list[Emission] | None) -> None:
        """A unit reports where it is; a patrol then moves on to another point of its beat."""
        rng = self._rng
        network = self.network
        kind = "position"
        count: int | None = None
        here = unit.at
        place = network.locations[here]
        address = network.names[here]
        if unit.unit_kind == "security_guard":
            jitter = rng.uniform(-0.0005, 0.0005), rng.uniform(-0.0005, 0.0005)
            place = (place[0] + jitter[0], place[1] + jitter[1])
            address = f"{address}附近小区"
            if rng.random() < self.config.suspicious_share:
                kind, count = "suspicious_activity", rng.randint(1, 2)
                text = "发现可疑人员在小区停车场车辆旁逗留（模拟）"
            else:
                text = rng.choice(("例行巡查，一切正常", "门岗值守正常", "小区巡逻完毕，未见异常"))
            next_ms = at_ms + round(rng.uniform(0.5, 1.5) * self.config.guard_report_every_s * 1000)
        elif not unit.beat:
            text = "工作站值守正常"
            next_ms = at_ms + round(rng.uniform(0.8, 1.2) * self.config.workstation_report_every_s * 1000)
        else:
            text = f"到达{network.names[unit.at]}，巡逻正常"
            target = rng.choice([i for i in unit.beat if i != unit.at] or unit.beat)
            metres = geo.distance_m(network.locations[unit.at], network.locations[target])
            dwell_s = rng.uniform(180.0, 720.0)
            next_ms = at_ms + round((dwell_s + metres * 1.3 / unit.speed_ms) * 1000)
            unit.at = target
        self._push(next_ms, _UNIT, unit)
        if out is None:
            return
        unit.reports += 1
        seconds, millis = divmod(at_ms, 1000)
        iso = self._prefix(seconds)[0]
        message: dict[str, object] = {
            "schema_version": 1,
            "report_id": f"{unit.unit_id}-{seconds}-{unit.reports}",
            "unit_id": unit.unit_id,
            "unit_kind": unit.unit_kind,
            "kind": kind,
            "at": f"{iso}.{millis:03d}{self._offset_text}",
            "place": {"lon": round(place[0], 6), "lat": round(place[1], 6), "address": address},
            "text": text,
        }
        if count is not None:
            message["count"] = count
        self.counts["reports"] += 1
        out.append(Emission("report", unit.unit_id, message, at_ms))


def watchlist_entries(
    vehicles: Sequence[SimulatedVehicle],
    *,
    seed: int,
    start: datetime,
    valid_for: timedelta = timedelta(days=1),
) -> list[dict[str, object]]:
    """`watchlist.entries` values listing `vehicles` (ids SIM-WL-<seed>-<n>), in force from an hour before
    `start` for `valid_for`, so a demo shows alerts for simulated cars."""
    categories = (
        ("stolen", 2, "模拟：车辆被盗"),
        ("wanted", 2, "模拟：在逃人员驾驶"),
        ("other", 3, "模拟：布控车辆"),
    )
    entries: list[dict[str, object]] = []
    for n, vehicle in enumerate(vehicles, start=1):
        category, priority, reason = categories[(n - 1) % len(categories)]
        entries.append(
            {
                "schema_version": 1,
                "entry_id": f"SIM-WL-{seed}-{n:03d}",
                "plate": vehicle.plate,
                "category": category,
                "priority": priority,
                "reason": reason,
                "source_agency": "扬州市公安局",
                "added_by": "citygate-simulate",
                "valid_from": (start - timedelta(hours=1)).isoformat(),
                "valid_until": (start + valid_for).isoformat(),
                "covert": False,
                "incident_id": None,
                "instructions": "模拟数据，无需出警",
            }
        )
    return entries


# ------------------------------------------------------------------------------------------- helpers


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the simulation needs an aware time")
    return round(moment.timestamp() * 1000)


def _offset_text(minutes: int) -> str:
    """An RFC 3339 offset: Z or ±HH:MM."""
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _home_of(vehicle: _Vehicle, network: RoadNetwork) -> int:
    """A resident's home node; a visitor is "home" at any gateway (it leaves the city there)."""
    if vehicle.home >= 0:
        return vehicle.home
    return vehicle.at if vehicle.at in network.gateways else -2


def _far(network: RoadNetwork, origin: int, gateway: int) -> tuple[float, int]:
    """How far a gateway is from `origin`, as the crow flies (visitors leave by the nearest)."""
    return geo.distance_m(network.locations[origin], network.locations[gateway]), gateway


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(_DIGITS) for _ in range(count))


def _ordinary_serial(rng: random.Random) -> str:
    """Five characters: digits only, one letter (most often first) or two letters in front."""
    roll = rng.random()
    if roll < 0.35:
        return _digits(rng, 5)
    if roll < 0.65:
        return rng.choice(_SERIAL_LETTERS) + _digits(rng, 4)
    if roll < 0.85:
        serial = list(_digits(rng, 5))
        serial[rng.randrange(1, 5)] = rng.choice(_SERIAL_LETTERS)
        return "".join(serial)
    return rng.choice(_SERIAL_LETTERS) + rng.choice(_SERIAL_LETTERS) + _digits(rng, 3)


def _pick(
    rng: random.Random, options: Sequence[tuple[str, int]], cumulative: Sequence[float] | None = None
) -> str:
    weights = cumulative if cumulative is not None else tuple(accumulate(w for _, w in options))
    return options[bisect_right(weights, rng.random() * weights[-1])][0]


def _confusable_variant(rng: random.Random, plate: str) -> str | None:
    """`plate` with one serial character swapped for one a camera confuses it with, still a valid plate."""
    options = [
        plate[:i] + mate + plate[i + 1 :]
        for i in range(2, len(plate))
        for mate in _CONFUSABLE_MATES.get(plate[i], "")
    ]
    valid = [option for option in options if is_valid_plate(option)]
    return rng.choice(valid) if valid else None


def _dropped_character(rng: random.Random, plate: str) -> str:
    """`plate` missing one character, such that it is no plate at all (the worker dead-letters it). Dropping
    the province character always does; a new-energy plate missing one serial character would still read
    as a valid ordinary plate, so only positions that break the plate are chosen."""
    broken = [cut for cut in range(len(plate)) if not is_valid_plate(plate[:cut] + plate[cut + 1 :])]
    cut = rng.choice(broken or [0])
    return plate[:cut] + plate[cut + 1 :]


def _spell(plate: str, style: str) -> str:
    """How a gateway writes a normalised plate."""
    if style == "dot":
        return plate[:2] + "·" + plate[2:]
    if style == "fullwidth":
        return plate[0] + plate[1:].translate(_FULLWIDTH)
    return plate
