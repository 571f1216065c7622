"""Radio reports from patrols, workstations and security guards (`patrol.reports`).

`arrived_at_point` staffs a lockdown point; the other kinds are correlated with open incidents
(streams/domain/incidents/correlation.py); a suspicious-activity report about no known incident opens a
low-priority
one. A capture names its incident, or is correlated like any other report.
Units unknown to any registry are accepted: 27,000 guards carry radios, and a report is never dropped for
coming from someone new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streams.domain import fields
from streams.domain.exceptions import InvalidInput

UNIT_KINDS = frozenset({"patrol_car", "motorcycle", "foot", "mounted", "workstation", "security_guard"})
REPORT_KINDS = frozenset(
    {"sighting", "suspicious_activity", "arrived_at_point", "suspect_captured", "position"}
)

_REQUIRED = ("schema_version", "report_id", "unit_id", "unit_kind", "kind", "at")
_ALLOWED = frozenset(_REQUIRED) | {"place", "point_id", "incident_id", "count", "plate", "text"}
_PLACE = ("lon", "lat", "address")


@dataclass(frozen=True, slots=True)
class Report:
    report_id: str
    unit_id: str
    unit_kind: str
    kind: str
    at: datetime
    lon: float | None
    lat: float | None
    address: str | None
    point_id: str | None
    incident_id: str | None
    count: int | None
    plate: str | None
    text: str | None


def parse_report(key: str | None, obj: object) -> Report:
    msg = fields.as_object(obj, "a patrol.reports message")
    fields.check_keys(msg, _REQUIRED, _ALLOWED)
    fields.schema_version(msg)
    report_id = fields.text(msg, "report_id", max_len=64, pattern=fields.IDENTIFIER)
    unit_id = fields.text(msg, "unit_id", max_len=64, pattern=fields.IDENTIFIER)
    if key is not None and key != unit_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from unit_id {unit_id!r}")
    unit_kind = fields.choice(msg, "unit_kind", UNIT_KINDS)
    kind = fields.choice(msg, "kind", REPORT_KINDS)
    at = fields.timestamp(msg, "at")
    lon = lat = None
    address = None
    if msg.get("place") is not None:
        place = fields.as_object(msg["place"], "field 'place'")
        try:
            fields.check_keys(place, ("lon", "lat"), _PLACE)
            lon = fields.number(place, "lon", minimum=-180.0, maximum=180.0)
            lat = fields.number(place, "lat", minimum=-90.0, maximum=90.0)
            address = fields.optional_nullable_text(place, "address", min_len=0, max_len=200)
        except InvalidInput as exc:
            raise InvalidInput(exc.code, f"place: {exc.detail}") from None
    point_id = fields.optional_nullable_text(msg, "point_id", max_len=64, pattern=fields.IDENTIFIER)
    incident_id = fields.optional_nullable_text(msg, "incident_id", max_len=64, pattern=fields.IDENTIFIER)
    count = None if msg.get("count") is None else fields.integer(msg, "count", minimum=0, maximum=100)
    plate = fields.optional_nullable_text(msg, "plate", max_len=16)
    text = fields.optional_nullable_text(msg, "text", min_len=0, max_len=2000)
    if kind == "arrived_at_point" and point_id is None:
        raise InvalidInput("missing_field", "an arrived_at_point report needs a point_id")
    if kind == "suspect_captured":
        if count is None or count < 1:
            raise InvalidInput("invalid_value", "a suspect_captured report needs a count of at least 1")
    return Report(
        report_id, unit_id, unit_kind, kind, at, lon, lat, address, point_id, incident_id, count, plate, text
    )
