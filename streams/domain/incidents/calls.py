"""110 calls: what the call system sends, which categories open an incident, which close the city gates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.plates import PlateFormatError, parse_plate
from streams.domain.timebounds import TIMELESS, TimeBounds, check_time


@dataclass(frozen=True, slots=True)
class Category:
    opens_incident: bool
    lockdown: bool  # worth closing rings for (suspects fleeing from a serious crime)
    zh: str


CATEGORIES: Mapping[str, Category] = {
    "armed_robbery": Category(True, True, "持械抢劫"),
    "robbery": Category(True, True, "抢劫"),
    "kidnapping": Category(True, True, "绑架"),
    "homicide": Category(True, True, "命案"),
    "hit_and_run": Category(True, True, "交通肇事逃逸"),
    "assault": Category(True, False, "殴打他人"),
    "burglary": Category(True, False, "入室盗窃"),
    "theft": Category(True, False, "盗窃"),
    "vehicle_tampering": Category(True, False, "盗窃车内财物"),
    "self_harm": Category(True, False, "自伤自残"),
    "suspicious_activity": Category(True, False, "可疑情况"),
    "fraud": Category(False, False, "诈骗"),
    "traffic_accident": Category(False, False, "交通事故"),
    "dispute": Category(False, False, "纠纷"),
    "other": Category(False, False, "其他"),
}
DIRECTIONS = frozenset(
    {"north", "north_east", "east", "south_east", "south", "south_west", "west", "north_west"}
)
VEHICLE_TYPES = frozenset(
    {"car", "suv", "van", "bus", "truck", "motorcycle", "taxi", "e_bike", "other", "unknown"}
)

# How long before the call a caller may say it happened (older reports are not a flight to cut off).
MAX_REPORTING_DELAY = timedelta(hours=24)
_PLACE = ("lon", "lat", "address")
_VEHICLE = ("plate", "colour", "type")


@dataclass(frozen=True, slots=True)
class Vehicle:
    plate: str | None  # normalised
    plate_raw: str | None
    colour: str | None
    type: str | None


@dataclass(frozen=True, slots=True)
class Call:
    call_id: str
    received_at: datetime
    lon: float
    lat: float
    address: str
    category: str
    suspects: int
    armed: bool
    flight_mode: str
    direction: str | None
    vehicle: Vehicle | None
    caller_notes: str | None
    # When it happened, as the caller says; None: unknown (then the call's time is the best guess).
    occurred_at: datetime | None = None

    @property
    def place(self) -> tuple[float, float]:
        return (self.lon, self.lat)

    @property
    def happened_at(self) -> datetime:
        """When it happened: what the caller says, else when the call came in."""
        return self.occurred_at or self.received_at


class PlaceFields(Protocol):
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def address(self) -> str: ...


class VehicleFields(Protocol):
    @property
    def plate(self) -> str | None: ...
    @property
    def colour(self) -> str | None: ...
    @property
    def type(self) -> str | None: ...


class CallFields(Protocol):
    """A `calls.110` message as decoded: every field typed and bounded by the schema."""

    @property
    def call_id(self) -> str: ...
    @property
    def received_at(self) -> str: ...
    @property
    def occurred_at(self) -> str | None: ...
    @property
    def place(self) -> PlaceFields: ...
    @property
    def category(self) -> str: ...
    @property
    def suspects(self) -> float: ...  # a whole number
    @property
    def armed(self) -> bool: ...
    @property
    def flight_mode(self) -> str: ...
    @property
    def direction(self) -> str | None: ...
    @property
    def vehicle(self) -> VehicleFields | None: ...
    @property
    def caller_notes(self) -> str | None: ...


def check_call(
    key: str | None, message: CallFields, *, ref: datetime | None = None, bounds: TimeBounds = TIMELESS
) -> Call:
    """What a schema cannot say about a decoded call: its key (the call id), its time against `ref` (when
    it reached Kafka), when it happened against when it was called in, and the named vehicle's plate
    grammar. Raises `InvalidInput`."""
    if key != message.call_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from call_id {message.call_id!r}")
    received_at = fields.moment(message.received_at, "received_at")
    if ref is not None:
        check_time(
            received_at, "received_at", ref=ref, max_age=bounds.call_max_age, max_ahead=bounds.max_skew
        )
    occurred_at = fields.optional_moment(message.occurred_at, "occurred_at")
    if occurred_at is not None:
        before = received_at.timestamp() - occurred_at.timestamp()
        if before < 0:
            raise InvalidInput("invalid_value", "occurred_at is after received_at")
        if before > MAX_REPORTING_DELAY.total_seconds():
            hours = MAX_REPORTING_DELAY.total_seconds() / 3600
            raise InvalidInput("invalid_value", f"occurred_at is more than {hours:.0f} h before received_at")
    place = message.place
    return Call(
        message.call_id,
        received_at,
        place.lon,
        place.lat,
        place.address,
        message.category,
        int(message.suspects),
        message.armed,
        message.flight_mode,
        message.direction,
        None if message.vehicle is None else _vehicle(message.vehicle),
        message.caller_notes,
        occurred_at,
    )


def _vehicle(vehicle: VehicleFields) -> Vehicle:
    plate = None
    if vehicle.plate is not None:
        try:
            plate = parse_plate(vehicle.plate).normalised
        except PlateFormatError as exc:
            raise InvalidInput("plate_format", f"vehicle.plate: {exc}") from None
    return Vehicle(plate, vehicle.plate, vehicle.colour, vehicle.type)
