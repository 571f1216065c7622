"""The incident desk: calls, radio reports, operators' lockdown commands, sightings and clock ticks.

One partition, one worker, changelog-backed tables of incidents and lockdowns: the consistent view the
"close the city gates" mechanism needs. Each input goes through one domain call (streams/domain/incidents/);
this adapter loads the records it needs, stores what changed, and returns the records to send. Tables are
injected (Faust tables in the worker, plain dicts in tests).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from streams import codecs, topics
from streams.domain.commands import OperatorCommand
from streams.domain.exceptions import InvalidInput
from streams.domain.forces import dispatching
from streams.domain.forces.board import Arrived
from streams.domain.forces.dispatching import Sent, Target
from streams.domain.geography.topology import RING_ORDER, Topology
from streams.domain.incidents import correlation, sightings
from streams.domain.incidents import lifecycle as desk
from streams.domain.incidents.lifecycle import Incident, IncidentSettings, Lockdown, Outcome
from streams.domain.incidents.reports import Report
from streams.settings import Settings
from streams.worker.command_side.answers import audited
from streams.worker.metrics import Metrics
from streams.worker.pipeline import InputMessage, Outgoing, received

Table = MutableMapping[str, dict[str, Any]]


class Forces(Protocol):
    """What the desk asks of the unit board (streams/worker/command_side/unit_board.py)."""

    @property
    def changes(self) -> int: ...  # bumped when the registry or a unit's state changes
    def propose(self, incident: Incident, now: datetime) -> tuple[dict[str, object], ...]: ...
    def incident_closed(self, incident_id: str, now: datetime) -> list[Outgoing]: ...


class IncidentDesk:
    def __init__(
        self,
        settings: Settings,
        topology: Topology,
        metrics: Metrics,
        *,
        incidents: Table,  # incident id → Incident record
        lockdowns: Table,  # lockdown id → Lockdown record
        lookouts: Table,  # lookout entry id → its first sighting here
        sign_listing: Callable[[dict[str, object]], dict[str, object]] | None = None,
        forces: Forces | None = None,
    ) -> None:
        """`sign_listing` signs the vehicles calls name before they are listed (the worker's key, role
        incident_desk); None when signatures are not checked. `forces`: the unit board, which proposes
        units for a new incident and releases them when it closes (None: no proposals)."""
        self.sign_listing = sign_listing
        self.forces = forces
        self.metrics = metrics
        self.lookouts = lookouts
        self.settings = settings
        self.max_bytes = settings.max_message_bytes
        self.bounds = settings.time_bounds()
        self.topology = topology
        self.incidents = incidents
        self.lockdowns = lockdowns
        self.rules = IncidentSettings()
        # Incident id → the forces' change count when a proposal for it found nobody: tried again only once
        # a unit or the registry has changed (in memory: a restart costs one more try, no more).
        self._proposed_at: dict[str, int] = {}

    def on_call(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        call = codecs.parse_call(
            codecs.decode_key(message.key),
            message.value,
            ref=received(message, now),
            bounds=self.bounds,
            max_bytes=self.max_bytes,
        )
        open_incidents = [Incident.from_record(r) for r in self.incidents.values() if r["status"] == "open"]
        return self._apply(now, desk.on_call(call, open_incidents, self.topology, now, self.rules))

    def read_report(self, message: InputMessage, now: datetime) -> Report:
        """The radio report a message is (`InvalidInput` if none), parsed once for the desk and the units."""
        return codecs.parse_report(
            codecs.decode_key(message.key),
            message.value,
            ref=received(message, now),
            bounds=self.bounds,
            max_bytes=self.max_bytes,
        )

    def on_report(self, report: Report, now: datetime) -> Sequence[Outgoing]:
        if report.kind == "arrived_at_point":
            assert report.point_id is not None  # noqa: S101 - check_report requires it
            return self._apply(
                now, desk.on_arrival(report.point_id, report.at, self._active(), self.topology)
            )
        if report.kind == "suspect_captured" and report.incident_id is not None:
            assert report.count is not None  # noqa: S101 - check_report requires it
            incident = self._incident(report.incident_id)
            return self._apply(
                now, desk.on_capture(incident, report.count, report.at, self._lockdown_of(incident))
            )
        if report.kind == "position":
            return ()  # unit positions feed the console and unit suggestions later, not incidents
        open_incidents = [Incident.from_record(r) for r in self.incidents.values() if r["status"] == "open"]
        lockdowns = {r["lockdown_id"]: Lockdown.from_record(r) for r in self.lockdowns.values()}
        return self._apply(now, correlation.on_report(report, open_incidents, lockdowns, self.topology, now))

    def staff_point(
        self, command: OperatorCommand, message: InputMessage, now: datetime
    ) -> Sequence[Outgoing]:
        """An operator marks a point staffed (a radio confirmation); refused when that changes nothing (no
        active lockdown needs the point, or it is staffed already), so the operator is told."""
        active = self._active()
        outcome = desk.on_arrival(command.target_id, command.issued_at, active, self.topology)
        if not outcome.events:
            raise InvalidInput("invalid_value", desk.why_not_staffed(command.target_id, active))
        return self._commanded(outcome, command, message, now, "point_staffed")

    def lift(self, command: OperatorCommand, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """The commander lifts a lockdown; refused when there is none by that id, or it is lifted already."""
        record = self.lockdowns.get(command.target_id)
        if record is None:
            raise InvalidInput("invalid_value", f"no lockdown {command.target_id}")
        lockdown = Lockdown.from_record(record)
        if lockdown.status != "active":
            raise InvalidInput("invalid_value", desk.why_not_lifted(lockdown))
        outcome = desk.lift(lockdown, "operator", now)
        return self._commanded(outcome, command, message, now, "lockdown_lifted")

    def _commanded(
        self, outcome: Outcome, command: OperatorCommand, message: InputMessage, now: datetime, action: str
    ) -> list[Outgoing]:
        return [*self._apply(now, outcome), audited(command, message, now, action)]

    def on_alert_sighting(self, alert: dict[str, Any], now: datetime) -> Sequence[Outgoing]:
        """A live match of an incident's plate: record it, predict ahead, catch a ring breach."""
        record = self.incidents.get(str(alert["incident_id"]))
        if record is None or record["status"] != "open":
            return ()
        incident = Incident.from_record(record)
        result = sightings.on_sighting(alert, incident, self._lockdown_of(incident), self.topology, now)
        out = self._apply(now, result.outcome)
        for new_alert in result.alerts:
            self.metrics.alerts.labels(new_alert.kind, str(new_alert.priority)).inc()
            message = codecs.encode(new_alert.to_message())
            out.append(Outgoing(topics.ALERTS, new_alert.alert_id.encode(), message))
        return out

    def on_lookout(self, alert: dict[str, Any], now: datetime) -> Sequence[Outgoing]:
        """Another agency's lookout seen in the city: the first sighting dispatches, later ones at other
        checkpoints give direction and the points ahead. Our own agency's lookouts are ordinary matches."""
        match = alert.get("match") or {}
        if match.get("source_agency") == self.settings.home_agency:
            return ()
        entry_id = str(match.get("entry_id"))
        result = sightings.on_lookout(alert, self.lookouts.get(entry_id), self.topology, now)
        if result.record is not None:
            self.lookouts[entry_id] = result.record
        out = []
        for found in result.alerts:
            self.metrics.alerts.labels(found.kind, str(found.priority)).inc()
            out.append(Outgoing(topics.ALERTS, found.alert_id.encode(), codecs.encode(found.to_message())))
        return out

    def on_tick(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """The command side's clock (streams/topics.py TICKS): re-plan running lockdowns."""
        outcome = Outcome()
        for lockdown in self._active():
            outcome.merge(desk.on_tick(lockdown, self.topology, now, self.rules))
        out = self._apply(now, outcome)
        # The worker holding the command side republishes the gauges on every tick: after a rebalance (or a
        # restart that recovered the tables) they are right again within one tick, with no event needed.
        self._publish_gauges()
        return out

    def clear_gauges(self) -> None:
        """Zero this worker's incident and lockdown gauges: called when it does not hold the command side,
        so a worker that lost it in a rebalance stops exporting stale counts that `sum` would add up."""
        for priority in ("1", "2", "3"):
            self.metrics.incidents_open.labels(priority).set(0)
        for ring in RING_ORDER:
            self.metrics.lockdowns_active.labels(ring).set(0)
            self.metrics.points_required.labels(ring).set(0)
            self.metrics.points_staffed.labels(ring).set(0)

    def _apply(self, now: datetime, outcome: Outcome) -> list[Outgoing]:
        out: list[Outgoing] = []
        for lockdown in outcome.lockdowns:
            self.lockdowns[lockdown.lockdown_id] = lockdown.to_record()
        for incident in outcome.incidents:
            before = self.incidents.get(incident.incident_id)
            if self.forces is not None and incident.status == "open" and not incident.dispatches:
                if not incident.proposal:  # a new incident (or one nothing could be proposed for yet)
                    incident = self._with_proposal(self.forces, incident, now)
            self.incidents[incident.incident_id] = incident.to_record()
            state = {"schema_version": 1, **incident.to_record()}
            out.append(Outgoing(topics.INCIDENTS, incident.incident_id.encode(), codecs.encode(state)))
            if self.forces is not None and incident.status == "closed":
                if before is None or before["status"] != "closed":
                    out.extend(self.forces.incident_closed(incident.incident_id, now))
        for event in outcome.events:
            self.metrics.lockdown_events.labels(event["type"]).inc()
            if event["type"] == "ring_sealed":
                self.metrics.time_to_seal.labels(event["ring"]).observe(event["time_to_seal_s"])
            out.append(Outgoing(topics.LOCKDOWNS, str(event["lockdown_id"]).encode(), codecs.encode(event)))
        if outcome.incidents or outcome.lockdowns:
            self._publish_gauges()
        for listing in outcome.listings:
            signed = listing if self.sign_listing is None else self.sign_listing(listing)
            out.append(Outgoing(topics.WATCHLIST, str(listing["entry_id"]).encode(), codecs.encode(signed)))
        return out

    # ------------------------------------------------------------------------------------------ forces

    def _with_proposal(self, forces: Forces, incident: Incident, now: datetime) -> Incident:
        changes = forces.changes
        if self._proposed_at.get(incident.incident_id) == changes:
            return incident  # nobody was available then, and nothing has changed since
        proposal = forces.propose(incident, now)
        if proposal:
            self._proposed_at.pop(incident.incident_id, None)
        else:
            if len(self._proposed_at) >= 10_000:
                self._proposed_at.clear()
            self._proposed_at[incident.incident_id] = changes
        return replace(incident, proposal=proposal)

    def dispatch_target(self, target_id: str) -> Target:
        """Where a dispatch command sends units: an open incident, or a point of the topology."""
        record = self.incidents.get(target_id)
        if record is not None:
            incident = Incident.from_record(record)
            if incident.status != "open":
                raise InvalidInput("invalid_value", f"incident {target_id} is {incident.status}")
            return Target((incident.lon, incident.lat), incident=incident)
        point = self.topology.points.get(target_id)
        if point is not None:
            return Target(point.location, point_id=point.id)
        raise InvalidInput("invalid_value", f"no incident and no point {target_id}")

    def record_dispatches(self, target: Target, sent: Sequence[Sent], now: datetime) -> list[Outgoing]:
        """The units just sent go on the incident's record (a point's dispatch has none)."""
        if target.incident is None or not sent:
            return []
        current = self._incident(target.incident.incident_id)
        if not current.dispatches:
            delay = (now - datetime.fromisoformat(current.started_at)).total_seconds()
            self.metrics.dispatch_delay.labels(str(current.priority)).observe(max(0.0, delay))
        updated = dispatching.with_dispatches(current, [one.entry for one in sent], now)
        return self._apply(now, Outcome(incidents=[updated]))

    def record_arrival(self, arrived: Arrived, now: datetime) -> list[Outgoing]:
        """A unit reached what it was sent to. A point: staffed, if an active lockdown needs it (a unit sent
        to seal a ring got there). An incident: on its entry; the first arrival is the incident's response
        time (received → first unit on scene)."""
        if arrived.point_id is not None:
            outcome = desk.on_arrival(arrived.point_id, arrived.arrived_at, self._active(), self.topology)
            return self._apply(now, outcome)
        record = None if arrived.incident_id is None else self.incidents.get(arrived.incident_id)
        if record is None:
            return []
        incident = Incident.from_record(record)
        updated = dispatching.with_arrival(incident, arrived, now)
        if updated is None:
            return []
        if dispatching.first_arrival(incident) is None:
            response = (arrived.arrived_at - datetime.fromisoformat(incident.started_at)).total_seconds()
            self.metrics.response_time.labels(str(incident.priority)).observe(max(0.0, response))
        return self._apply(now, Outcome(incidents=[updated]))

    def _publish_gauges(self) -> None:
        """Recount from the tables (they are small: the open incidents and the lockdowns of a few hours)."""
        by_priority = dict.fromkeys(("1", "2", "3"), 0)
        for record in self.incidents.values():
            if record["status"] == "open":
                by_priority[str(record["priority"])] += 1
        for priority, count in by_priority.items():
            self.metrics.incidents_open.labels(priority).set(count)
        closed = dict.fromkeys(RING_ORDER, 0)
        required = dict.fromkeys(RING_ORDER, 0)
        staffed = dict.fromkeys(RING_ORDER, 0)
        for lockdown in self._active():
            for ring in lockdown.rings:
                closed[ring] += 1
                required[ring] += len(lockdown.required.get(ring, ()))
                staffed[ring] += sum(1 for p in lockdown.required.get(ring, ()) if p in lockdown.staffed)
        for ring in RING_ORDER:
            self.metrics.lockdowns_active.labels(ring).set(closed[ring])
            self.metrics.points_required.labels(ring).set(required[ring])
            self.metrics.points_staffed.labels(ring).set(staffed[ring])

    def _active(self) -> list[Lockdown]:
        return [Lockdown.from_record(r) for r in self.lockdowns.values() if r["status"] == "active"]

    def _incident(self, incident_id: str) -> Incident:
        record = self.incidents.get(incident_id)
        if record is None:
            raise InvalidInput("invalid_value", f"no incident {incident_id}")
        return Incident.from_record(record)

    def _lockdown_of(self, incident: Incident) -> Lockdown | None:
        record = None if incident.lockdown_id is None else self.lockdowns.get(incident.lockdown_id)
        return None if record is None else Lockdown.from_record(record)
