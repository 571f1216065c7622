"""City traffic for `citygate simulate`: vehicles on the checkpoint road graph, read at every camera passed.

Why a model and not random hits: a plate's sightings must be physically consistent (road neighbours, times
a car can make), or the correlator's direction and intercept logic has nothing true to work on, and a demo
shows nonsense. Everything here is pure and seeded (one `random.Random`, dicts and sets walked in sorted
order), with time passed in, so one seed and one start always give the same messages.

The model, in brief (`TrafficSimulation`, here, runs trips and reads on one event queue; the parts it uses
live beside it, in `network`, `plates`, `patrols` and `records`):

* `RoadNetwork` (`network`) is the drivable part of the topology's graph (no water points, no edges along
  the municipal boundary line between two city-ring points, largest connected part). Edge speeds come from
  the road's class (expressway, national/provincial road, ring or arterial, street, old-city street). A few
  dozen *hubs* (activity centres) each get one Dijkstra at start: its shortest-path tree gives every node a
  next hop toward the hub, so a trip X → Y is the path between them in the tree of the hub nearest Y (or of
  the one nearest X, whichever is quicker) — no search per trip.
* Vehicles live at a home node (residents) or outside the city (visitors enter and leave through the
  city-ring gateways); they chain trips home → activity → (activity →) home with dwell times between, and
  keep their plate (`plates`) for the whole run.
* Trips are spawned along a daily profile (`records.DAILY_PROFILE`, local time): after spawning a trip that
  will make k reads, the next spawn is k / target-rate later, the rate taken half a trip ahead, so the
  produced hit rate follows the target with no drift and no Poisson noise in the count. The run starts with
  a warm-up (trips already on the road at the start; their earlier reads are not emitted).
* Each read (`plates.read_plate`) gets OCR noise (confusable characters, dropped characters, low
  confidence), top-N candidates that include the true plate, and sometimes a second read by a neighbouring
  lane.
* Patrol units (`patrols`) walk or drive between points near the street workstations and report their
  position; security guards report from their post now and then (`position` reports: they never open
  incidents; suspicious-activity reports only with `suspicious_share` > 0).

Every emitted hit carries its ground truth (`records.HitTruth`) for tests and tools.
"""
# ruff: noqa: S311 - `random` models traffic here, it guards no secret

from __future__ import annotations

import heapq
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime

from streams.domain.geography import geo
from streams.tools.simulate import patrols
from streams.tools.simulate.network import CLASS_SPEED_KMH, Camera, RoadNetwork
from streams.tools.simulate.plates import new_vehicle, read_plate
from streams.tools.simulate.records import Emission, HitTruth, SimulatedVehicle, TrafficConfig
from streams.tools.simulate.timestamps import Timestamps, epoch_ms

__all__ = ["MAX_JUNCTION_DELAY_S", "MAX_SPEED_KMH", "MIN_SPEED_KMH", "TrafficSimulation"]

MAX_SPEED_KMH = 120.0  # no simulated vehicle is ever faster
MIN_SPEED_KMH = 10.0  # nor slower while moving
MAX_JUNCTION_DELAY_S = 45.0  # the longest wait at a node (traffic lights) between two edges

_JUNCTION_STOP_CHANCE = (0.0, 0.15, 0.3, 0.35, 0.4)  # by road class

INBOUND, OUTBOUND, UNKNOWN = "inbound", "outbound", "unknown"


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


_SPAWN, _PASS, _UNIT = 0, 1, 2
_CATCH_UP_S = 1200.0  # how fast the rate control makes up a shortfall of reads


class TrafficSimulation:
    """The city's traffic from `start` on: call `advance(until)` for every message up to `until`, in order.

    The result does not depend on how the time is cut into `advance` calls: every event is one entry of a
    single time-ordered queue, ties broken by insertion order, and all randomness is drawn in that order.
    """

    def __init__(
        self,
        network: RoadNetwork,
        start: datetime,
        *,
        seed: int,
        config: TrafficConfig | None = None,
        units: list[patrols.Unit] | None = None,
    ) -> None:
        """`units`: the patrols and guards to move (from the unit registry, `patrols.roster_units`);
        None: the simulator's own, generated at every street workstation."""
        self.network = network
        self.config = config or TrafficConfig()
        self.seed = seed
        self.start_ms = epoch_ms(start)
        self._rng = random.Random(f"traffic:{seed}")
        self._shares = self.config.hourly_shares()
        self._offset_ms = self.config.utc_offset_minutes * 60_000
        self._local = self.config.local_time
        self._times = Timestamps(self._local, self.config.utc_offset_minutes)
        self._queue: list[tuple[int, int, int, object]] = []
        self._sequence = 0
        self._parked: list[tuple[int, int]] = []  # (free from ms, vehicle number)
        self._vehicles: list[_Vehicle] = []
        self._plates: set[str] = set()
        self._trips = 0
        self._hits = 0
        self.counts = {"hits": 0, "reports": 0, "noisy": 0, "duplicates": 0}  # of emitted messages
        self._read_delay_ms = network.read_delay_s * 1000  # learnt from the trips as they leave
        self._clock_ms = self.start_ms - int(self.config.warmup_s * 1000)
        self._scheduled: dict[int, int] = {}  # minute since the epoch → reads scheduled in it
        self._shortfall = 0.0  # target minus scheduled reads, over the minutes counted so far
        self._minute = self._clock_ms // 60_000
        # The road is empty when the warm-up begins: count against the target only once it has filled up.
        self._accounting_from_ms = self.start_ms - int(self.config.warmup_s * 500)
        self._push(self._clock_ms, _SPAWN, None)
        for unit in units if units is not None else patrols.make_units(self._rng, self.network, self.config):
            self._push(self._clock_ms + self._rng.randrange(0, 600_000), _UNIT, unit)
        self._run(self.start_ms, emit=False)

    # --- public

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock_ms / 1000, self._local)

    def advance(self, until: datetime) -> list[Emission]:
        """Every message with an event time from the current clock up to (not including) `until`, in time
        order; a second lane's read comes right after the first one's (its time is 60–400 ms later)."""
        return self._run(epoch_ms(until), emit=True)

    def target_rate(self, moment: datetime) -> float:
        """Reads per second the profile asks for at `moment`."""
        return self._rate_at(epoch_ms(moment))

    def expected_hits(self, start: datetime, end: datetime) -> float:
        """Reads the profile asks for between `start` and `end` (the target the rate control follows)."""
        a, b = epoch_ms(start), epoch_ms(end)
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
                assert isinstance(payload, patrols.Unit)  # noqa: S101
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
        public = new_vehicle(rng, number, self._plates, self.config)
        network = self.network
        home = rng.choice(network.drivable) if public.resident else -1
        at = home if public.resident else rng.choice(network.gateways)
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
            speed = CLASS_SPEED_KMH[kind] * driver * rng.uniform(0.9, 1.1)
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
        camera: Camera,
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
        read = read_plate(rng, plate, camera.style, config)
        self._hits += 1
        seconds, millis = divmod(event_ms, 1000)
        iso, day, clock = self._times.parts(seconds)
        shot = f"s3://anpr-images/{checkpoint}/{day}/{clock}{millis:03d}_L{lane:02d}"
        message: dict[str, object] = {
            "schema_version": 1,
            "hit_id": f"sim{self.seed}-{checkpoint}-{event_ms}-L{lane}-{self._hits:x}",
            "checkpoint_id": checkpoint,
            "lane": lane,
            "direction": direction,
            "event_time": f"{iso}.{millis:03d}{self._times.offset}",
            "plate_text": read.text,
            "plate_confidence": read.confidence,
            "candidates": read.candidates,
            "plate_colour": vehicle.plate_colour,
            "vehicle_type": vehicle.vehicle_type,
            "vehicle_colour": vehicle.vehicle_colour,
            "image_refs": [f"{shot}_plate.jpg", f"{shot}_scene.jpg"],
            "gateway_id": camera.gateway_id,
        }
        self.counts["hits"] += 1
        self.counts["noisy"] += read.noise != "none"
        self.counts["duplicates"] += duplicate
        truth = HitTruth(vehicle.vehicle_id, plate, trip.number, checkpoint, via, duplicate, read.noise)
        return Emission("hit", checkpoint, message, event_ms, truth)

    # --- patrols and guards

    def _unit_event(self, unit: patrols.Unit, at_ms: int, out: list[Emission] | None) -> None:
        """A unit reports where it is; a patrol then moves on to another point of its beat."""
        report, next_ms = patrols.step(self._rng, self.network, self.config, unit, at_ms)
        self._push(next_ms, _UNIT, unit)
        if out is None:
            return
        unit.reports += 1
        seconds, millis = divmod(at_ms, 1000)
        at = f"{self._times.parts(seconds)[0]}.{millis:03d}{self._times.offset}"
        self.counts["reports"] += 1
        out.append(Emission("report", unit.unit_id, report.message(unit, at_ms, at), at_ms))


# ------------------------------------------------------------------------------------------- helpers


def _home_of(vehicle: _Vehicle, network: RoadNetwork) -> int:
    """A resident's home node; a visitor is "home" at any gateway (it leaves the city there)."""
    if vehicle.home >= 0:
        return vehicle.home
    return vehicle.at if vehicle.at in network.gateways else -2


def _far(network: RoadNetwork, origin: int, gateway: int) -> tuple[float, int]:
    """How far a gateway is from `origin`, as the crow flies (visitors leave by the nearest)."""
    return geo.distance_m(network.locations[origin], network.locations[gateway]), gateway
