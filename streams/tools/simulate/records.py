"""The traffic model's value types: what a simulation is asked for (`TrafficConfig`, the daily profile),
what it hands out (`SimulatedVehicle`, `Emission` with its `HitTruth`), and sample watchlist entries for its
vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = [
    "CITY_HITS_PER_DAY",
    "DAILY_PROFILE",
    "Emission",
    "HitTruth",
    "SimulatedVehicle",
    "TrafficConfig",
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
    """A vehicle as the cameras see it, the same for the whole run."""

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
