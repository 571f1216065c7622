"""A followed vehicle seen at a checkpoint: record it, predict where it goes, catch a ring breach.

Two kinds of vehicle are followed: one named in a call (its plate was listed for the incident; each live
watchlist alert naming the incident is a sighting) and another agency's lookout (from its first sighting
in the city on). Successive sightings at different checkpoints give direction and speed; the next
checkpoints along the road graph get an `intercept_ahead` alert with their passing windows. An incident's
vehicle moving outward at a checkpoint of a ring the lockdown keeps closed is a `ring_breach`: top
priority, and the lockdown gives up that ring (and any inside it) and holds the next one out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from streams.domain.geography.topology import RING_ORDER, Point, Topology
from streams.domain.incidents.lifecycle import Incident, Lockdown, Outcome, escalate
from streams.domain.incidents.trajectory import Ahead, Heading, bearing_deg, heading, intercept_ahead
from streams.domain.matching.alerts import Alert, Ref, alert_id_for

MAX_SIGHTINGS = 50
RING_ZH = {"core": "核心圈", "urban": "城区圈", "city": "市域圈"}


@dataclass
class SightingOutcome:
    outcome: Outcome = field(default_factory=Outcome)
    alerts: list[Alert] = field(default_factory=list)


@dataclass(frozen=True)
class Track:
    """One sighting of a followed vehicle folded into its earlier ones."""

    sightings: tuple[dict[str, Any], ...]  # the earlier ones and this, newest last (at most MAX_SIGHTINGS)
    point: Point | None  # where it was seen, if the topology knows the checkpoint
    moving: Heading | None  # heading and speed from the last sighting at another known checkpoint


def track(
    sightings: Sequence[Mapping[str, Any]], alert: Mapping[str, Any], topology: Topology
) -> Track | None:
    """Fold one sighting (an alert as published) into a vehicle's sightings; None when the alert only
    updates a sighting already counted (a dedup update at the same site)."""
    checkpoint = str(alert.get("checkpoint_id") or "")
    if any(s["alert_id"] == alert["alert_id"] and s["checkpoint_id"] == checkpoint for s in sightings):
        return None
    seen_at = datetime.fromisoformat(str(alert["event_time"]))
    sighting = {"checkpoint_id": checkpoint, "at": seen_at.isoformat(), "alert_id": alert["alert_id"]}
    point = topology.points.get(checkpoint)
    moving = None
    if point is not None:
        previous = _previous_located(sightings, topology, checkpoint)
        if previous is not None:
            moving = heading(previous, (point.location, seen_at))
    return Track((*(dict(s) for s in sightings), sighting)[-MAX_SIGHTINGS:], point, moving)


def on_sighting(
    alert: Mapping[str, Any],
    incident: Incident,
    lockdown: Lockdown | None,
    topology: Topology,
    now: datetime,
) -> SightingOutcome:
    """Apply one live match of an incident's plate (the alert as published on `alerts`)."""
    result = SightingOutcome()
    seen = track(incident.sightings, alert, topology)
    if seen is None:
        return result  # an update of a sighting already counted
    result.outcome.incidents.append(replace(incident, updated_at=now.isoformat(), sightings=seen.sightings))
    point = seen.point
    if point is None:
        return result  # a site the topology does not know: recorded, not predicted
    checkpoint, plate = point.id, str(alert.get("plate") or "")
    seen_at = datetime.fromisoformat(str(alert["event_time"]))
    source = Ref("alerts", str(alert["alert_id"]))
    breach_possible = lockdown is not None and lockdown.status == "active"
    if breach_possible and alert.get("direction") == "outbound" and lockdown is not None:
        # Only a sighting after the rings were closed can breach them (a retro-match finds earlier ones).
        if point.ring in lockdown.rings and seen_at >= datetime.fromisoformat(lockdown.raised_at):
            result.alerts.append(
                _breach_alert(alert, incident, point.ring, checkpoint, plate, seen_at, now, source)
            )
            result.outcome.merge(
                escalate(lockdown, _rings_through(point.ring), now, reason=f"breach at {checkpoint}")
            )
    if seen.moving is not None:
        ahead = _still_ahead(intercept_ahead(topology, point, seen.moving, seen_at), now)
        if ahead:
            result.alerts.append(
                _ahead_alert(
                    alert,
                    incident.incident_id,
                    incident.incident_id,
                    checkpoint,
                    plate,
                    seen_at,
                    now,
                    seen.moving,
                    ahead,
                    source,
                )
            )
    return result


@dataclass
class LookoutOutcome:
    record: dict[str, Any] | None  # the lookout's new state (None: nothing changed)
    alerts: list[Alert] = field(default_factory=list)


def on_lookout(
    alert: Mapping[str, Any], record: Mapping[str, Any] | None, topology: Topology, now: datetime
) -> LookoutOutcome:
    """Another agency's lookout seen in the city: the first sighting dispatches units (`lookout_sighting`),
    every later one at another checkpoint gives direction, speed and the checkpoints ahead, as for an
    incident's vehicle. `record` is what the command side keeps per lookout entry (None: never seen)."""
    entry_id = str((alert.get("match") or {}).get("entry_id"))
    seen = track(() if record is None else record.get("sightings", ()), alert, topology)
    if seen is None:
        return LookoutOutcome(None)
    if record is None:
        state = {
            "first_alert": alert["alert_id"],
            "at": alert["event_time"],
            "sightings": list(seen.sightings),
        }
        first = lookout_sighting(alert, topology, now)
        return LookoutOutcome(state, [] if first is None else [first])
    state = {**record, "sightings": list(seen.sightings)}
    out = LookoutOutcome(state)
    if seen.point is not None and seen.moving is not None:
        seen_at = datetime.fromisoformat(str(alert["event_time"]))
        ahead = _still_ahead(intercept_ahead(topology, seen.point, seen.moving, seen_at), now)
        if ahead:
            out.alerts.append(
                _ahead_alert(
                    alert,
                    entry_id,
                    alert.get("incident_id"),
                    seen.point.id,
                    str(alert.get("plate") or ""),
                    seen_at,
                    now,
                    seen.moving,
                    ahead,
                    Ref("alerts", str(alert["alert_id"])),
                )
            )
    return out


def _still_ahead(ahead: list[Ahead], now: datetime) -> list[Ahead]:
    """The points whose passing window has not closed yet (a sighting found by the retro-match may be hours
    old: its points ahead are history, not an interception)."""
    return [a for a in ahead if a.latest >= now]


def _rings_through(ring: str) -> list[str]:
    return list(RING_ORDER[: RING_ORDER.index(ring) + 1])


def _previous_located(
    sightings: Sequence[Mapping[str, Any]], topology: Topology, checkpoint: str
) -> tuple[tuple[float, float], datetime] | None:
    for earlier in reversed(sightings):
        point = topology.points.get(str(earlier["checkpoint_id"]))
        if point is not None and point.id != checkpoint:
            return point.location, datetime.fromisoformat(str(earlier["at"]))
    return None


def _breach_alert(
    alert: Mapping[str, Any],
    incident: Incident,
    ring: str,
    checkpoint: str,
    plate: str,
    seen_at: datetime,
    now: datetime,
    source: Ref,
) -> Alert:
    return Alert(
        alert_id=alert_id_for("ring_breach", incident.incident_id, str(alert["alert_id"])),
        kind="ring_breach",
        priority=1,
        state="new",
        created_at=now,
        event_time=seen_at,
        summary_zh=f"突破预警：{plate} 经{RING_ZH[ring]}卡口 {checkpoint} 出城方向通过，立即升级封控",
        summary_en=f"RING BREACH: {plate} passed {ring}-ring checkpoint {checkpoint} heading out; escalating",
        incident_id=incident.incident_id,
        plate=plate or None,
        checkpoint_id=checkpoint,
        ring=ring,
        lane=alert.get("lane"),
        direction="outbound",
        actions=("intercept_at_next_ring", "notify_incident_commander"),
        refs=(source,),
    )


def _ahead_alert(
    alert: Mapping[str, Any],
    subject_id: str,  # what is followed: the incident, or the lookout's entry
    incident_id: str | None,
    checkpoint: str,
    plate: str,
    seen_at: datetime,
    now: datetime,
    moving: Any,
    ahead: list[Any],
    source: Ref,
) -> Alert:
    first = ahead[0]
    return Alert(
        alert_id=alert_id_for("intercept_ahead", subject_id, str(alert["alert_id"])),
        kind="intercept_ahead",
        priority=1,
        state="new",
        created_at=now,
        event_time=seen_at,
        summary_zh=(
            f"前方拦截：{plate} 经 {checkpoint} 向{moving.bearing_deg:.0f}°方向行驶"
            f"（约{moving.speed_mps * 3.6:.0f}公里/小时），"
            f"预计 {first.earliest:%H:%M}–{first.latest:%H:%M} 经过 {first.point_id}"
        ),
        summary_en=(
            f"Intercept ahead: {plate} left {checkpoint} heading {moving.bearing_deg:.0f}° at "
            f"{moving.speed_mps * 3.6:.0f} km/h; next {first.point_id} between {first.earliest:%H:%M} "
            f"and {first.latest:%H:%M}"
        ),
        incident_id=incident_id,
        plate=plate or None,
        checkpoint_id=checkpoint,
        lane=alert.get("lane"),
        direction=alert.get("direction"),
        actions=("stage_units_at_points_ahead",),
        refs=(source,),
        intercept=_intercept(moving, ahead),
    )


ASSUMED_SPEED_MPS = 60 / 3.6  # a vehicle on urban roads, when one sighting gives no speed yet


def lookout_sighting(
    alert: Mapping[str, Any], topology: Topology, now: datetime, *, units: int = 3
) -> Alert | None:
    """The first sighting inside the city of a vehicle another agency is looking for: dispatch the nearest
    street workstation and rapid-response units, and list the checkpoints ahead (toward the city centre when
    it came in, away from it when it is leaving)."""
    match = alert.get("match") or {}
    point = topology.points.get(str(alert.get("checkpoint_id") or ""))
    if point is None:
        return None
    seen_at = datetime.fromisoformat(str(alert["event_time"]))
    workstation = topology.nearest(point.location, "street_workstation", 1)
    responders = topology.nearest(point.location, "rapid_response_point", units)
    centre = _centre(topology)
    inward = bearing_deg(point.location, centre)
    bearing = inward if alert.get("direction") != "outbound" else (inward + 180.0) % 360.0
    ahead = _still_ahead(
        intercept_ahead(topology, point, Heading(round(bearing, 1), ASSUMED_SPEED_MPS), seen_at), now
    )
    plate = str(alert.get("plate") or "")
    agency = str(match.get("source_agency") or "")
    station = workstation[0][0] if workstation else None
    return Alert(
        alert_id=alert_id_for("lookout_sighting", str(match.get("entry_id")), str(alert["alert_id"])),
        kind="lookout_sighting",
        priority=1,
        state="new",
        created_at=now,
        event_time=seen_at,
        summary_zh=(
            f"协查车辆入境：{plate}（{agency}协查：{match.get('reason', '')}）首次出现在卡口 {point.id}，"
            f"请{station.name if station else '就近警力'}及巡逻力量处置"
        ),
        summary_en=(
            f"Lookout from {agency}: {plate} first seen in the city at checkpoint {point.id}; "
            f"dispatch {station.id if station else 'nearest units'}"
        ),
        incident_id=alert.get("incident_id"),
        plate=plate or None,
        checkpoint_id=point.id,
        lane=alert.get("lane"),
        direction=alert.get("direction"),
        actions=("dispatch_nearest_workstation", "notify_source_agency"),
        refs=(Ref("alerts", str(alert["alert_id"])), Ref("watchlist.entries", str(match.get("entry_id")))),
        intercept=_intercept(Heading(round(bearing, 1), round(ASSUMED_SPEED_MPS, 2)), ahead)
        if ahead
        else None,
        dispatch={
            "workstation": station.id if station else None,
            "units": [unit.id for unit, _ in responders],
        },
    )


def _centre(topology: Topology) -> tuple[float, float]:
    ring = topology.rings.get("core") or next(iter(topology.rings.values()))
    lons = [c[0] for c in ring.polygon]
    lats = [c[1] for c in ring.polygon]
    return (sum(lons) / len(lons), sum(lats) / len(lats))


def _intercept(moving: Heading, ahead: list[Ahead]) -> dict[str, object]:
    """The alert's `intercept` object: the heading and each point ahead with its passing window."""
    return {
        "bearing_deg": moving.bearing_deg,
        "speed_mps": moving.speed_mps,
        "points": [
            {
                "point_id": a.point_id,
                "distance_m": a.distance_m,
                "earliest": a.earliest.isoformat(),
                "latest": a.latest.isoformat(),
            }
            for a in ahead
        ],
    }
