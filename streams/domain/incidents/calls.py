"""110 calls: what the call system sends, which categories open an incident, which close the city gates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.domain.incidents.planner import FLIGHT_MODES
from streams.domain.matching.plates import PlateFormatError, parse_plate


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

_REQUIRED = (
    "schema_version",
    "call_id",
    "received_at",
    "place",
    "category",
    "suspects",
    "armed",
    "flight_mode",
)
_ALLOWED = frozenset(_REQUIRED) | {"occurred_at", "direction", "vehicle", "caller_notes"}
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


def parse_call(key: str | None, obj: object) -> Call:
    msg = fields.as_object(obj, "a calls.110 message")
    fields.check_keys(msg, _REQUIRED, _ALLOWED)
    fields.schema_version(msg)
    call_id = fields.text(msg, "call_id", max_len=64, pattern=fields.IDENTIFIER)
    if key is not None and key != call_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from call_id {call_id!r}")
    received_at = fields.timestamp(msg, "received_at")
    occurred_at = fields.optional_timestamp(msg, "occurred_at")
    if occurred_at is not None and occurred_at > received_at:
        raise InvalidInput("invalid_value", "occurred_at is after received_at")
    if occurred_at is not None and occurred_at < received_at - MAX_REPORTING_DELAY:
        hours = MAX_REPORTING_DELAY.total_seconds() / 3600
        raise InvalidInput("invalid_value", f"occurred_at is more than {hours:.0f} h before received_at")
    place = fields.as_object(msg["place"], "field 'place'")
    try:
        fields.check_keys(place, _PLACE, _PLACE)
        lon = fields.number(place, "lon", minimum=-180.0, maximum=180.0)
        lat = fields.number(place, "lat", minimum=-90.0, maximum=90.0)
        address = fields.text(place, "address", min_len=0, max_len=200)
    except InvalidInput as exc:
        raise InvalidInput(exc.code, f"place: {exc.detail}") from None
    category = fields.choice(msg, "category", CATEGORIES)
    suspects = fields.integer(msg, "suspects", minimum=0, maximum=100)
    armed = fields.boolean(msg, "armed")
    flight_mode = fields.choice(msg, "flight_mode", FLIGHT_MODES)
    direction = None if msg.get("direction") is None else fields.choice(msg, "direction", DIRECTIONS)
    vehicle = _vehicle(msg["vehicle"]) if msg.get("vehicle") is not None else None
    notes = fields.optional_nullable_text(msg, "caller_notes", min_len=0, max_len=2000)
    return Call(
        call_id,
        received_at,
        lon,
        lat,
        address,
        category,
        suspects,
        armed,
        flight_mode,
        direction,
        vehicle,
        notes,
        occurred_at,
    )


def _vehicle(value: object) -> Vehicle:
    vehicle = fields.as_object(value, "field 'vehicle'")
    try:
        fields.check_keys(vehicle, (), _VEHICLE)
        plate_raw = fields.optional_nullable_text(vehicle, "plate", max_len=16)
        colour = fields.optional_nullable_text(vehicle, "colour", max_len=32)
        kind = None if vehicle.get("type") is None else fields.choice(vehicle, "type", VEHICLE_TYPES)
    except InvalidInput as exc:
        raise InvalidInput(exc.code, f"vehicle: {exc.detail}") from None
    plate = None
    if plate_raw is not None:
        try:
            plate = parse_plate(plate_raw).normalised
        except PlateFormatError as exc:
            raise InvalidInput("plate_format", f"vehicle.plate: {exc}") from None
    return Vehicle(plate, plate_raw, colour, kind)
