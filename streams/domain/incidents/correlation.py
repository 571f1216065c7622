"""Which open incident a radio report is about: physics first, then content.

A report can only be about an incident if the suspects could have got there: the report's place within
`speed × (report time − incident start)` of the incident's place (plus a margin for where the caller
stood), and not hours later. Among the incidents it could be about, content decides: the same plate, a
count of persons no larger than the suspects at large, the same kind of trouble. The best score wins if it
clears a threshold; the reasons travel with the attachment so an operator can see why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from streams.domain.geography import geo
from streams.domain.geography.topology import Topology
from streams.domain.incidents.lifecycle import Incident, Lockdown, Outcome, on_capture
from streams.domain.incidents.planner import SPEEDS_MPS
from streams.domain.incidents.reports import Report

WINDOW = timedelta(hours=2)
MARGIN_M = 300.0  # callers and guards describe a place, not a point
THRESHOLD = 0.5
# Report kinds whose content says "trouble of this kind".
_SUSPICIOUS_KINDS = {"suspicious_activity", "sighting", "suspect_captured"}
_PROPERTY_CATEGORIES = {"vehicle_tampering", "theft", "burglary", "suspicious_activity"}


@dataclass(frozen=True, slots=True)
class Attachment:
    incident_id: str
    report_id: str
    score: float
    reasons: tuple[str, ...]

    def to_record(self) -> dict[str, object]:
        return {"report_id": self.report_id, "score": self.score, "reasons": list(self.reasons)}


def score(report: Report, incident: Incident) -> Attachment | None:
    """How well `report` fits `incident` (None when it physically cannot be about it)."""
    if report.incident_id is not None:
        if report.incident_id != incident.incident_id:
            return None
        return Attachment(incident.incident_id, report.report_id, 1.0, ("named by the reporter",))
    started = datetime.fromisoformat(incident.started_at)
    elapsed = (report.at - started).total_seconds()
    if elapsed < -300 or elapsed > WINDOW.total_seconds():
        return None
    reasons: list[str] = []
    points = 0.0
    if report.plate is not None and report.plate.replace("·", "").upper() in incident.plates:
        points += 0.6
        reasons.append(f"plate {report.plate} is the incident's")
    if report.lon is not None and report.lat is not None:
        reach = SPEEDS_MPS[incident.flight_mode] * max(elapsed, 0.0) + MARGIN_M
        distance = geo.distance_m((report.lon, report.lat), (incident.lon, incident.lat))
        if distance > reach:
            return None
        nearness = 1.0 - distance / reach
        points += 0.4 * nearness
        reasons.append(
            f"{distance:.0f} m from the incident, within the {reach:.0f} m the suspects could cover"
        )
    elif not reasons:
        return None  # no place and no plate: nothing ties it to this incident
    if (
        report.count is not None
        and incident.suspects
        and report.count <= incident.suspects - incident.captured
    ):
        points += 0.2
        reasons.append(f"{report.count} person(s), no more than the {incident.suspects} suspects")
    if report.kind in _SUSPICIOUS_KINDS and (
        incident.category in _PROPERTY_CATEGORIES or incident.priority == 1
    ):
        points += 0.2
        reasons.append(
            f"a {report.kind.replace('_', ' ')} report fits a {incident.category.replace('_', ' ')}"
        )
    return Attachment(incident.incident_id, report.report_id, round(min(points, 1.0), 3), tuple(reasons))


def best_match(report: Report, open_incidents: Iterable[Incident]) -> Attachment | None:
    """The open incident the report is most likely about, if any clears the threshold."""
    scored = [a for a in (score(report, i) for i in open_incidents if i.status == "open") if a is not None]
    scored = [a for a in scored if a.score >= THRESHOLD]
    if not scored:
        return None
    return max(scored, key=lambda a: (a.score, a.incident_id))


MAX_ATTACHMENTS = 200
SUGGESTED_UNITS = 3


def on_report(
    report: Report,
    open_incidents: Iterable[Incident],
    lockdowns: Mapping[str, Lockdown],
    topology: Topology,
    now: datetime,
) -> Outcome:
    """Attach a sighting, suspicious-activity or capture report to the incident it is about; a suspicious
    activity about none opens a low-priority incident at the nearest street workstation."""
    incidents = list(open_incidents)
    match = best_match(report, incidents)
    if match is not None and report.unit_id not in topology.points:
        # 27,000 guards and 43 patrol groups carry radios: an unknown unit is heard, and flagged.
        match = replace(match, reasons=(*match.reasons, f"unit {report.unit_id} is not in the unit registry"))
    if match is not None:
        incident = next(i for i in incidents if i.incident_id == match.incident_id)
        attached = replace(
            incident,
            updated_at=now.isoformat(),
            attachments=(*incident.attachments, match.to_record())[-MAX_ATTACHMENTS:],
        )
        if report.kind == "suspect_captured" and report.count:
            lockdown = lockdowns.get(incident.lockdown_id) if incident.lockdown_id else None
            outcome = on_capture(attached, report.count, report.at, lockdown)
            return outcome
        return Outcome(incidents=[attached])
    if (
        report.kind not in ("suspicious_activity", "suspect_captured")
        or report.lon is None
        or report.lat is None
    ):
        return Outcome()  # a sighting or position about nothing known: counted, not an incident
    place = (report.lon, report.lat)
    workstation = topology.nearest(place, "street_workstation", 1)
    units = topology.nearest(place, "rapid_response_point", SUGGESTED_UNITS)
    opened = Incident(
        incident_id=_incident_id(report),
        category="suspicious_activity",
        status="open",
        priority=3,
        lon=report.lon,
        lat=report.lat,
        address=report.address or "",
        started_at=report.at.isoformat(),
        updated_at=now.isoformat(),
        flight_mode="foot",
        suspects=report.count or 0,
        captured=(report.count or 0) if report.kind == "suspect_captured" else 0,
        armed=False,
        call_ids=(report.report_id,),
        plates=(),
        assigned_to=workstation[0][0].id if workstation else None,
        suggested_units=tuple(unit.id for unit, _ in units) + tuple(w.id for w, _ in workstation),
        attachments=(
            Attachment(
                "",
                report.report_id,
                1.0,
                ("opened the incident",)
                + (
                    ()
                    if report.unit_id in topology.points
                    else (f"unit {report.unit_id} is not in the unit registry",)
                ),
            ).to_record(),
        ),
    )
    return Outcome(incidents=[opened])


def _incident_id(report: Report) -> str:
    return f"inc-{hashlib.sha256(('report' + chr(31) + report.report_id).encode()).hexdigest()[:20]}"
