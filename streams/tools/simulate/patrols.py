"""Patrol units and security guards: who they are, where they are posted, and what each says when it reports
(`position` reports, which never open incidents; suspicious activity only with `suspicious_share` > 0)."""
# ruff: noqa: S311 - `random` models traffic here, it guards no secret

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from streams.domain.forces import units as registry
from streams.domain.geography import geo
from streams.tools.simulate.network import RoadNetwork
from streams.tools.simulate.records import TrafficConfig


@dataclass(slots=True)
class Unit:
    unit_id: str
    unit_kind: str
    post: int  # the node it belongs to
    beat: list[int]  # nodes it patrols (empty: it stays at its post)
    speed_ms: float
    at: int
    reports: int = 0


@dataclass(frozen=True, slots=True)
class Report:
    """What a unit says at one moment."""

    kind: str
    count: int | None
    text: str
    place: geo.LonLat
    address: str

    def message(self, unit: Unit, at_ms: int, at: str) -> dict[str, object]:
        """The `patrol.reports` value; `at` is `at_ms` as RFC 3339 text."""
        message: dict[str, object] = {
            "schema_version": 1,
            "report_id": f"{unit.unit_id}-{at_ms // 1000}-{unit.reports}",
            "unit_id": unit.unit_id,
            "unit_kind": unit.unit_kind,
            "kind": self.kind,
            "at": at,
            "place": {
                "lon": round(self.place[0], 6),
                "lat": round(self.place[1], 6),
                "address": self.address,
            },
            "text": self.text,
        }
        if self.count is not None:
            message["count"] = self.count
        return message


SPEEDS_KMH = {"patrol_car": 30.0, "foot": 4.5, "motorcycle": 25.0}


def roster_units(network: RoadNetwork, roster: Sequence[registry.Unit]) -> tuple[list[Unit], list[str]]:
    """The registry's active units as the simulator moves them: each posted at its home workstation, a
    unit with a vehicle driving (a patrol car) and any other walking a beat of the dozen points nearest
    its home, a guard staying by it; (units, ids of those whose home is not a point of the network)."""
    index = {point_id: i for i, point_id in enumerate(network.ids)}
    drivable = network.drivable
    units: list[Unit] = []
    homeless: list[str] = []
    for entry in sorted((u for u in roster if u.active), key=lambda u: u.unit_id):
        post = index.get(entry.home_workstation)
        if post is None:
            homeless.append(entry.unit_id)
            continue
        if entry.kind == "security_guard":
            units.append(Unit(entry.unit_id, "security_guard", post, [], 0.0, post))
            continue
        here = network.locations[post]
        beat = sorted(drivable, key=lambda i: (geo.distance_m(here, network.locations[i]), i))[1:13]
        unit_kind = "patrol_car" if entry.mounted else "foot"
        units.append(Unit(entry.unit_id, unit_kind, post, beat, SPEEDS_KMH[unit_kind] / 3.6, post))
    return units, homeless


def make_units(rng: random.Random, network: RoadNetwork, config: TrafficConfig) -> list[Unit]:
    """A post and its patrols at every street workstation (a beat of the dozen points nearest it), and the
    guards, each at a point off the rings."""
    units: list[Unit] = []
    drivable = network.drivable
    workstations = [i for i, kind in enumerate(network.kinds) if kind == "street_workstation"]
    for post in workstations:
        here = network.locations[post]
        near = sorted(drivable, key=lambda i: (geo.distance_m(here, network.locations[i]), i))[1:13]
        name = network.ids[post]
        units.append(Unit(f"SIM-{name}", "workstation", post, [], 0.0, post))
        for k in range(config.patrols_per_workstation):
            unit_kind = ("patrol_car", "foot", "motorcycle")[k % 3]
            speed_kmh = SPEEDS_KMH[unit_kind]
            units.append(Unit(f"SIM-{name}-P{k + 1}", unit_kind, post, near, speed_kmh / 3.6, post))
    homes = [i for i in drivable if network.rings[i] is None]
    for k in range(config.guards):
        post = rng.choice(homes or drivable)
        units.append(Unit(f"SIM-GD-{k + 1:03d}", "security_guard", post, [], 0.0, post))
    return units


def step(
    rng: random.Random, network: RoadNetwork, config: TrafficConfig, unit: Unit, at_ms: int
) -> tuple[Report, int]:
    """What `unit` reports at `at_ms` and when it reports next; a patrol then moves on to another point of
    its beat (it is there at its next report)."""
    kind = "position"
    count: int | None = None
    here = unit.at
    place = network.locations[here]
    address = network.names[here]
    if unit.unit_kind == "security_guard":
        jitter = rng.uniform(-0.0005, 0.0005), rng.uniform(-0.0005, 0.0005)
        place = (place[0] + jitter[0], place[1] + jitter[1])
        address = f"{address}附近小区"
        if rng.random() < config.suspicious_share:
            kind, count = "suspicious_activity", rng.randint(1, 2)
            text = "发现可疑人员在小区停车场车辆旁逗留（模拟）"
        else:
            text = rng.choice(("例行巡查，一切正常", "门岗值守正常", "小区巡逻完毕，未见异常"))
        next_ms = at_ms + round(rng.uniform(0.5, 1.5) * config.guard_report_every_s * 1000)
    elif not unit.beat:
        text = "工作站值守正常"
        next_ms = at_ms + round(rng.uniform(0.8, 1.2) * config.workstation_report_every_s * 1000)
    else:
        text = f"到达{network.names[unit.at]}，巡逻正常"
        target = rng.choice([i for i in unit.beat if i != unit.at] or unit.beat)
        metres = geo.distance_m(network.locations[unit.at], network.locations[target])
        dwell_s = rng.uniform(180.0, 720.0)
        next_ms = at_ms + round((dwell_s + metres * 1.3 / unit.speed_ms) * 1000)
        unit.at = target
    return Report(kind, count, text, place, address), next_ms
