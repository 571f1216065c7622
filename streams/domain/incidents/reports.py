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
from typing import Protocol

from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.domain.timebounds import TIMELESS, TimeBounds, check_time

UNIT_KINDS = frozenset({"patrol_car", "motorcycle", "foot", "mounted", "workstation", "security_guard"})
REPORT_KINDS = frozenset(
    {"sighting", "suspicious_activity", "arrived_at_point", "suspect_captured", "position"}
)


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


class ReportPlaceFields(Protocol):
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def address(self) -> str | None: ...


class ReportFields(Protocol):
    """A `patrol.reports` message as decoded: every field typed and bounded by the schema."""

    @property
    def report_id(self) -> str: ...
    @property
    def unit_id(self) -> str: ...
    @property
    def unit_kind(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def place(self) -> ReportPlaceFields | None: ...
    @property
    def point_id(self) -> str | None: ...
    @property
    def incident_id(self) -> str | None: ...
    @property
    def count(self) -> float | None: ...  # a whole number
    @property
    def plate(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...


def check_report(
    key: str | None, message: ReportFields, *, ref: datetime | None = None, bounds: TimeBounds = TIMELESS
) -> Report:
    """What a schema cannot say simply about a decoded report: its key (the unit id), its time against
    `ref` (when it reached Kafka), and what each kind needs (an arrival its point, a capture a count of
    at least 1). Raises `InvalidInput`."""
    if key != message.unit_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from unit_id {message.unit_id!r}")
    at = fields.moment(message.at, "at")
    if ref is not None:
        check_time(at, "at", ref=ref, max_age=bounds.report_max_age, max_ahead=bounds.max_skew)
    if message.kind == "arrived_at_point" and message.point_id is None:
        raise InvalidInput("missing_field", "an arrived_at_point report needs a point_id")
    if message.kind == "suspect_captured" and (message.count is None or message.count < 1):
        raise InvalidInput("invalid_value", "a suspect_captured report needs a count of at least 1")
    place = message.place
    return Report(
        message.report_id,
        message.unit_id,
        message.unit_kind,
        message.kind,
        at,
        None if place is None else place.lon,
        None if place is None else place.lat,
        None if place is None else place.address,
        message.point_id,
        message.incident_id,
        None if message.count is None else int(message.count),
        message.plate,
        message.text,
    )
