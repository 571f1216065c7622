"""Incidents from 110 calls and the lockdowns ("close the city gates") they raise: a pure state machine.

State in, time in → state and events out. The command-side agent keeps `Incident` and `Lockdown` records in
changelog-backed tables and feeds each input here: calls (`on_call`), a unit arriving at a point
(`on_arrival`), captures (`on_capture`), an operator lifting a lockdown (`on_lift`) and clock ticks
(`on_tick`: escalation and the maximum duration). Every event has an id derived from its cause, so a replay
repeats ids instead of raising a second lockdown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from streams.domain.exceptions import InvalidInput
from streams.domain.geography import geo
from streams.domain.geography.topology import MANNED_KINDS, RING_ORDER, Topology
from streams.domain.incidents.calls import CATEGORIES, Call
from streams.domain.incidents.planner import PlannerSettings, escalation, plan_lockdown


def _id(prefix: str, *parts: str) -> str:
    return f"{prefix}-{hashlib.sha256(chr(31).join(parts).encode()).hexdigest()[:20]}"


@dataclass(frozen=True, slots=True)
class IncidentSettings:
    merge_window: timedelta = timedelta(minutes=10)
    merge_distance_m: float = 500.0
    max_lockdown: timedelta = timedelta(hours=4)
    plate_listing: timedelta = timedelta(hours=24)  # how long a suspect vehicle stays on the watchlist
    planner: PlannerSettings = field(default_factory=PlannerSettings)


@dataclass(frozen=True, slots=True)
class Incident:
    incident_id: str
    category: str
    status: str  # open | closed
    priority: int  # 1 lockdown-worthy, 2 other incidents, 3 suspicious activity
    lon: float
    lat: float
    address: str
    started_at: str  # RFC 3339; records are stored as JSON in Faust tables
    updated_at: str
    flight_mode: str
    suspects: int
    captured: int
    armed: bool
    call_ids: tuple[str, ...]
    plates: tuple[str, ...]
    lockdown_id: str | None = None
    closed_reason: str | None = None
    assigned_to: str | None = None  # the street workstation that handles it (low-priority incidents)
    suggested_units: tuple[str, ...] = ()
    attachments: tuple[dict[str, Any], ...] = ()  # reports tied to it: report id, score, reasons
    sightings: tuple[dict[str, Any], ...] = ()  # checkpoint reads of its plates: checkpoint, time, alert
    # The forces (streams/domain/forces/dispatching.py): the units the desk proposed when it opened, those
    # sent (dispatch id, unit, kind, when sent, when arrived), and when it was closed.
    proposal: tuple[dict[str, Any], ...] = ()
    dispatches: tuple[dict[str, Any], ...] = ()
    closed_at: str | None = None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Incident:
        return cls(
            **{
                **record,
                "call_ids": tuple(record["call_ids"]),
                "plates": tuple(record["plates"]),
                "suggested_units": tuple(record.get("suggested_units", ())),
                "attachments": tuple(record.get("attachments", ())),
                "sightings": tuple(record.get("sightings", ())),
                "proposal": tuple(record.get("proposal", ())),
                "dispatches": tuple(record.get("dispatches", ())),
            }
        )


@dataclass(frozen=True, slots=True)
class Lockdown:
    lockdown_id: str
    incident_id: str
    status: str  # active | lifted
    raised_at: str
    incident_time: str
    lon: float
    lat: float
    flight_mode: str
    rings: tuple[str, ...]  # closed now, innermost first
    given_up: tuple[str, ...]
    required: dict[str, list[str]]  # ring → manned points that seal it
    staffed: dict[str, str]  # point → when staffed
    sealed: dict[str, str]  # ring → when sealed
    lifted_at: str | None = None
    lifted_reason: str | None = None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Lockdown:
        return cls(**{**record, "rings": tuple(record["rings"]), "given_up": tuple(record["given_up"])})


@dataclass
class Outcome:
    """What one input changed: records to store, events to publish, plates to watchlist."""

    incidents: list[Incident] = field(default_factory=list)
    lockdowns: list[Lockdown] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    listings: list[dict[str, Any]] = field(default_factory=list)  # watchlist.entries values

    def merge(self, other: Outcome) -> None:
        self.incidents.extend(other.incidents)
        self.lockdowns.extend(other.lockdowns)
        self.events.extend(other.events)
        self.listings.extend(other.listings)


def on_call(
    call: Call,
    open_incidents: Iterable[Incident],
    topology: Topology,
    now: datetime,
    settings: IncidentSettings = IncidentSettings(),  # noqa: B008
) -> Outcome:
    """A call opens an incident, merges into an open one, or (for minor categories) changes nothing."""
    category = CATEGORIES[call.category]
    out = Outcome()
    if not category.opens_incident:
        return out
    target = _merge_target(call, open_incidents, settings)
    stamp = now.isoformat()
    if target is None:
        priority = 1 if category.lockdown else 3 if call.category == "suspicious_activity" else 2
        incident = Incident(
            incident_id=_id("inc", call.call_id),
            category=call.category,
            status="open",
            priority=priority,
            lon=call.lon,
            lat=call.lat,
            address=call.address,
            started_at=call.happened_at.isoformat(),
            updated_at=stamp,
            flight_mode=call.flight_mode,
            suspects=call.suspects,
            captured=0,
            armed=call.armed,
            call_ids=(call.call_id,),
            plates=(),
        )
    else:
        incident = replace(
            target,
            updated_at=stamp,
            # A later caller who knows it happened earlier moves the incident's time back.
            started_at=min(datetime.fromisoformat(target.started_at), call.happened_at).isoformat(),
            suspects=max(target.suspects, call.suspects),
            armed=target.armed or call.armed,
            # Any caller seeing a vehicle makes it a vehicle flight: plan for the faster escape.
            flight_mode="vehicle"
            if "vehicle" in (target.flight_mode, call.flight_mode)
            else target.flight_mode,
            call_ids=target.call_ids if call.call_id in target.call_ids else (*target.call_ids, call.call_id),
        )
    if call.vehicle is not None and call.vehicle.plate and call.vehicle.plate not in incident.plates:
        incident = replace(incident, plates=(*incident.plates, call.vehicle.plate))
        out.listings.append(_listing(incident, call, now, settings))
    if category.lockdown and incident.lockdown_id is None and incident.suspects > 0:
        lockdown, event = _raise(incident, topology, now, settings)
        if lockdown is not None:
            incident = replace(incident, lockdown_id=lockdown.lockdown_id)
            out.lockdowns.append(lockdown)
            out.events.append(event)
    out.incidents.append(incident)
    return out


def _merge_target(
    call: Call, open_incidents: Iterable[Incident], settings: IncidentSettings
) -> Incident | None:
    best: tuple[float, Incident] | None = None
    for incident in open_incidents:
        if incident.status != "open":
            continue
        if call.call_id in incident.call_ids:
            return incident  # an update of a call already counted
        if incident.category != call.category:
            continue
        if abs(call.happened_at - datetime.fromisoformat(incident.started_at)) > settings.merge_window:
            continue
        distance = geo.distance_m(call.place, (incident.lon, incident.lat))
        if distance <= settings.merge_distance_m and (best is None or distance < best[0]):
            best = (distance, incident)
    return None if best is None else best[1]


def _listing(incident: Incident, call: Call, now: datetime, settings: IncidentSettings) -> dict[str, Any]:
    assert call.vehicle is not None and call.vehicle.plate is not None  # noqa: S101 - checked by the caller
    vehicle = call.vehicle
    described = " ".join(v for v in (vehicle.colour, vehicle.type) if v)
    return {
        "schema_version": 1,
        "entry_id": _id("WL-INC", incident.incident_id, vehicle.plate or ""),
        "plate": vehicle.plate,
        "category": "incident",
        "priority": 1,
        "reason": f"{CATEGORIES[incident.category].zh}嫌疑车辆 {described}".strip()[:500],
        "source_agency": "110指挥中心",
        "added_by": "citygate",
        # From when it happened, so the retro-match finds its sightings between the crime and the call.
        "valid_from": min(datetime.fromisoformat(incident.started_at), call.happened_at).isoformat(),
        "valid_until": (now + settings.plate_listing).isoformat(),
        "covert": False,
        "incident_id": incident.incident_id,
        "instructions": "嫌疑人可能持械，发现后报告指挥中心，等待增援"
        if incident.armed
        else "发现后立即报告指挥中心",
    }


def _raise(
    incident: Incident, topology: Topology, now: datetime, settings: IncidentSettings
) -> tuple[Lockdown | None, dict[str, Any]]:
    place = (incident.lon, incident.lat)
    incident_time = datetime.fromisoformat(incident.started_at)
    plan = plan_lockdown(topology, place, incident_time, incident.flight_mode, now, settings.planner)
    if not plan.rings:
        return None, {}
    lockdown_id = _id("ld", incident.incident_id)
    required = {
        ring.ring: [pid for pid in ring.points if topology.points[pid].kind in MANNED_KINDS]
        for ring in plan.rings
    }
    lockdown = Lockdown(
        lockdown_id=lockdown_id,
        incident_id=incident.incident_id,
        status="active",
        raised_at=now.isoformat(),
        incident_time=incident.started_at,
        lon=incident.lon,
        lat=incident.lat,
        flight_mode=incident.flight_mode,
        rings=plan.ring_names,
        given_up=(),
        required=required,
        staffed={},
        sealed={},
    )
    event = _event(lockdown, "raised", now, detail="")
    event["plan"] = {
        "reach_m": plan.reach_m,
        "speed_mps": round(plan.speed_mps, 3),
        "rings": [
            {
                "ring": r.ring,
                "boundary_distance_m": r.boundary_distance_m,
                "earliest_breach": r.earliest_breach.isoformat(),
                "may_be_breached": r.may_be_breached,
                "points": list(r.points),
                "required": required[r.ring],
            }
            for r in plan.rings
        ],
        "units": [
            {
                "unit_id": u.unit_id,
                "response_minutes": u.response_minutes,
                "distance_m": u.distance_m,
                "eta": u.eta.isoformat(),
                "deadline": u.deadline.isoformat(),
                "to_point": u.to_point,
            }
            for u in plan.units
        ],
    }
    return lockdown, event


def _event(lockdown: Lockdown, kind: str, at: datetime, *, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": _id("ev", lockdown.lockdown_id, kind, detail),
        "lockdown_id": lockdown.lockdown_id,
        "incident_id": lockdown.incident_id,
        "type": kind,
        "at": at.isoformat(),
        "status": lockdown.status,
        "rings": list(lockdown.rings),
        "sealed": sorted(lockdown.sealed, key=RING_ORDER.index),
        "staffed": {
            ring: sum(1 for p in points if p in lockdown.staffed)
            for ring, points in lockdown.required.items()
        },
        "required": {ring: len(points) for ring, points in lockdown.required.items()},
        **extra,
    }


def on_arrival(point_id: str, at: datetime, active: Iterable[Lockdown], topology: Topology) -> Outcome:
    """A unit reports in at a point (a patrol report, or an operator's staff_point)."""
    if point_id not in topology.points:
        raise InvalidInput("invalid_value", f"unknown point id {point_id!r}")
    out = Outcome()
    for lockdown in active:
        if lockdown.status != "active" or point_id in lockdown.staffed:
            continue
        rings = [ring for ring in lockdown.rings if point_id in lockdown.required.get(ring, ())]
        if not rings:
            continue
        updated = replace(lockdown, staffed={**lockdown.staffed, point_id: at.isoformat()})
        out.events.append(
            _event(updated, "point_staffed", at, detail=point_id, point_id=point_id, ring=rings[0])
        )
        for ring in rings:
            if ring not in updated.sealed and all(p in updated.staffed for p in updated.required[ring]):
                updated = replace(updated, sealed={**updated.sealed, ring: at.isoformat()})
                # A report stamped before the raise (clock skew, a unit already there) seals it at once.
                to_seal = max(0.0, (at - datetime.fromisoformat(updated.raised_at)).total_seconds())
                out.events.append(
                    _event(
                        updated, "ring_sealed", at, detail=ring, ring=ring, time_to_seal_s=round(to_seal, 1)
                    )
                )
        out.lockdowns.append(updated)
    return out


def why_not_staffed(point_id: str, active: Iterable[Lockdown]) -> str:
    """Why marking `point_id` staffed changes nothing (`on_arrival` gave no event): what an operator reads."""
    staffed = [lockdown.lockdown_id for lockdown in active if point_id in lockdown.staffed]
    if staffed:
        return f"point {point_id} is staffed already ({', '.join(sorted(staffed))})"
    return f"no active lockdown needs point {point_id}"


def why_not_lifted(lockdown: Lockdown) -> str:
    """Why lifting `lockdown` changes nothing: it is not active."""
    how = ", ".join(str(part) for part in (lockdown.lifted_reason, lockdown.lifted_at) if part)
    return f"lockdown {lockdown.lockdown_id} is {lockdown.status} already" + (f" ({how})" if how else "")


def on_capture(incident: Incident, count: int, at: datetime, lockdown: Lockdown | None) -> Outcome:
    """Suspects caught; all of them caught closes the incident and lifts its lockdown."""
    if count < 1:
        raise InvalidInput("invalid_value", f"a capture needs a count of at least 1, got {count}")
    out = Outcome()
    captured = incident.captured + count
    updated = replace(incident, captured=captured, updated_at=at.isoformat())
    if incident.suspects and captured >= incident.suspects:
        updated = replace(updated, status="closed", closed_reason="all_captured", closed_at=at.isoformat())
        if lockdown is not None and lockdown.status == "active":
            out.merge(lift(lockdown, "captured_all", at))
    out.incidents.append(updated)
    return out


def lift(lockdown: Lockdown, reason: str, at: datetime) -> Outcome:
    out = Outcome()
    if lockdown.status != "active":
        return out
    lifted = replace(lockdown, status="lifted", lifted_at=at.isoformat(), lifted_reason=reason)
    out.lockdowns.append(lifted)
    out.events.append(_event(lifted, "lifted", at, detail="", reason=reason))
    return out


def on_tick(lockdown: Lockdown, topology: Topology, now: datetime, settings: IncidentSettings) -> Outcome:
    """Re-check a running lockdown: escalate outward if an unsealed ring may be crossed; expire it."""
    if lockdown.status != "active":
        return Outcome()
    if now - datetime.fromisoformat(lockdown.raised_at) >= settings.max_lockdown:
        return lift(lockdown, "expired", now)
    given_up = escalation(
        topology,
        (lockdown.lon, lockdown.lat),
        datetime.fromisoformat(lockdown.incident_time),
        lockdown.flight_mode,
        lockdown.rings,
        lockdown.sealed,
        now,
    )
    return escalate(lockdown, given_up, now, reason="suspects may have crossed before sealing")


def escalate(lockdown: Lockdown, rings: Iterable[str], now: datetime, *, reason: str) -> Outcome:
    """Give up `rings` (never the last closed one) and hold the rings outside them."""
    dropped = set(rings)
    closed = [r for r in lockdown.rings if r not in dropped]
    given_up = [r for r in lockdown.rings if r in dropped]
    if not closed:  # the outermost ring is held whatever happens
        closed, given_up = [lockdown.rings[-1]], given_up[:-1]
    if not given_up:
        return Outcome()
    escalated = replace(lockdown, rings=tuple(closed), given_up=(*lockdown.given_up, *given_up))
    out = Outcome(lockdowns=[escalated])
    out.events.append(
        _event(escalated, "escalated", now, detail=",".join(given_up), given_up=list(given_up), cause=reason)
    )
    return out
