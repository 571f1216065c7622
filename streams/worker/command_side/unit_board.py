"""The unit board: the registry of units the desk can send, each unit's state from its radio reports and
the desk's dispatches, kept in tables and published on `units.state` (compacted) and `dispatches`.

The rules are the domain's (streams/domain/forces/board.py for a unit's state, dispatching.py for who goes
where); this adapter loads the records, stores what changed and returns the records to send. A report that
changes nothing of a unit's state (a late one, say) sends nothing. On each tick, a unit whose position has
gone stale since its state was last published is published once more, so a console that only reads the
topic sees the flag without doing the arithmetic.

The registry (`units.registry`) is read by the command side like its other inputs, into a table: a worker
taking the command side over recovers it with the other tables, and an invalid record is dead-lettered.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import datetime
from typing import Any

from streams import codecs, topics
from streams.domain.commands import OperatorCommand
from streams.domain.exceptions import InvalidInput
from streams.domain.forces import board, dispatching
from streams.domain.forces.board import Arrived, Task, UnitState
from streams.domain.forces.dispatching import Sent, Target
from streams.domain.forces.travel import RoadGraph
from streams.domain.forces.units import HOME_KINDS, Unit
from streams.domain.geography.topology import Topology
from streams.domain.incidents.lifecycle import Incident
from streams.domain.incidents.reports import Report
from streams.settings import Settings
from streams.worker.metrics import Metrics
from streams.worker.pipeline import InputMessage, Outgoing

Table = MutableMapping[str, dict[str, Any]]
PUBLISHED_STALE = "published_stale"  # in the table record: the flag the last published state carried


class UnitDesk:
    def __init__(
        self,
        settings: Settings,
        units: Table,
        registry: Table | None = None,
        topology: Topology | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """`units`: unit id → board.state_record(...) plus PUBLISHED_STALE; `registry`: unit id → its
        registry record (a plain dict when not given, as in tests); `topology`: the road graph proposals
        are ranked on and the homes of units that never reported (None: no proposals); `metrics`: the
        units-by-status gauges, republished on every tick."""
        self.max_bytes = settings.max_message_bytes
        self.metrics = metrics
        self.units = units
        self.registry = registry if registry is not None else {}
        self.graph = RoadGraph.of(topology) if topology is not None else None
        self.homes = (
            {}
            if topology is None
            else {p.id: p.location for p in topology.points.values() if p.kind in HOME_KINDS}
        )
        # Units built from registry records, reused while the table holds the same record object (a
        # proposal reads every unit; a registry of 27,000 guards should not be rebuilt per incident).
        self._built: dict[str, tuple[dict[str, Any], Unit]] = {}
        # Bumped whenever the registry or a unit's state changes: a proposal that found nobody is worth
        # trying again only after that (IncidentDesk asks).
        self.changes = 0

    # ---------------------------------------------------------------------------------------- registry

    def on_registry(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """A registry record: the unit's latest description (a null value removes the unit)."""
        key = codecs.decode_key(message.key)
        if message.value is None:
            if key is None:
                raise InvalidInput("invalid_key", "a registry tombstone needs the unit id as its key")
            self.registry.pop(key, None)
            self.changes += 1
            return ()
        unit = codecs.parse_unit(key, message.value, max_bytes=self.max_bytes)
        self.registry[unit.unit_id] = unit.value()
        self.changes += 1
        return ()

    def registered(self) -> dict[str, Unit]:
        units = {}
        for unit_id, record in self.registry.items():
            built = self._built.get(unit_id)
            if built is None or built[0] is not record:
                built = self._built[unit_id] = (record, _unit(record))
            units[unit_id] = built[1]
        if len(self._built) > len(units):
            self._built = {unit_id: self._built[unit_id] for unit_id in units}
        return units

    def states(self) -> dict[str, UnitState]:
        return {unit_id: board.state_from_record(record) for unit_id, record in self.units.items()}

    # ---------------------------------------------------------------------------------------- dispatch

    def propose(self, incident: Incident, now: datetime) -> tuple[dict[str, object], ...]:
        """The proposal a new incident records (empty without a registry or a road graph)."""
        if self.graph is None or not self.registry:
            return ()
        units = self.registered().values()
        return dispatching.propose_for(incident, units, self.states(), self.homes, self.graph, now)

    def dispatch(
        self, command: OperatorCommand, target: Target, now: datetime
    ) -> tuple[list[Outgoing], list[Sent]]:
        """An operator's dispatch: the units chosen, tasked, published; a re-tasked unit's earlier task
        is released first. `InvalidInput` when nothing can be sent."""
        if self.graph is None:
            raise InvalidInput("invalid_value", "this worker has no road graph to dispatch on")
        states = self.states()
        chosen = dispatching.choose(command, target, self.registered(), states, self.homes, self.graph, now)
        sent = dispatching.send(command, target, chosen, states, now)
        out: list[Outgoing] = []
        for one in sent:
            earlier = states.get(one.unit.unit_id)
            if earlier is not None and earlier.task is not None:
                out.append(self._history("released", earlier.task, one.unit.unit_id, now, reason="retasked"))
            out.append(self._publish(one.state, now))
            out.append(_dispatch_out(one.record))
        return out, sent

    def release(self, command: OperatorCommand, now: datetime) -> list[Outgoing]:
        """An operator releases a unit: available again, its task (if any) ended."""
        unit_id = command.target_id
        record = self.units.get(unit_id)
        state = None if record is None else board.state_from_record(record)
        if unit_id not in self.registry and state is None:
            raise InvalidInput("invalid_value", f"unit {unit_id} is not in the unit registry")
        if state is None or state.task is None:
            raise InvalidInput("invalid_value", f"unit {unit_id} has no task to be released from")
        reason = command.reason_code or "task_done"
        return [
            self._history("released", state.task, unit_id, now, reason=reason, command=command),
            self._publish(board.release(state, unit_id), now),
        ]

    def incident_closed(self, incident_id: str, now: datetime) -> list[Outgoing]:
        """The incident is closed: every unit still tasked to it is available again."""
        out = []
        for unit_id, record in list(self.units.items()):
            task = record.get("task")
            if isinstance(task, dict) and task.get("incident_id") == incident_id:
                state = board.state_from_record(record)
                assert state.task is not None  # noqa: S101 - the record has one
                out.append(self._history("released", state.task, unit_id, now, reason="incident_closed"))
                out.append(self._publish(board.release(state, unit_id), now))
        return out

    # ------------------------------------------------------------------------------------ radio reports

    def on_report(self, report: Report, now: datetime) -> tuple[list[Outgoing], list[Arrived]]:
        """One radio report, already parsed (and refused, if it had to be) by the incident desk: the
        records to send, and the arrivals it shows (for the incident desk)."""
        before = self.units.get(report.unit_id)
        state, arrived = board.apply_report(
            None if before is None else board.state_from_record(before), report
        )
        record = board.state_record(state)
        if before is not None and {k: v for k, v in before.items() if k != PUBLISHED_STALE} == record:
            return [], []
        out = [self._publish(state, now)]
        if arrived and state.task is not None:
            out.append(self._history("arrived", state.task, report.unit_id, now))
        return out, arrived

    def on_tick(self, now: datetime) -> Sequence[Outgoing]:
        out = []
        by_status = dict.fromkeys(board.UNIT_STATUSES, 0)
        stale = 0
        for record in list(self.units.values()):
            by_status[str(record.get("status"))] = by_status.get(str(record.get("status")), 0) + 1
            stale += record.get(PUBLISHED_STALE) is not False
            # Only the position's time is read for each unit (a city's guards are thousands, every tick).
            at = record.get("position_at")
            if record.get(PUBLISHED_STALE) is False and (
                at is None or now - datetime.fromisoformat(str(at)) > board.STALE_AFTER
            ):
                out.append(self._publish(board.state_from_record(record), now))
                stale += 1
        if self.metrics is not None:
            for status, count in by_status.items():
                self.metrics.units.labels(status).set(count)
            self.metrics.units_stale.set(stale)
        return out

    def clear_gauges(self) -> None:
        """Zero the gauges on a worker that does not hold the command side (the holder publishes them)."""
        if self.metrics is not None:
            for status in board.UNIT_STATUSES:
                self.metrics.units.labels(status).set(0)
            self.metrics.units_stale.set(0)

    # ------------------------------------------------------------------------------------------ records

    def _unit(self, unit_id: str) -> Unit | None:
        record = self.registry.get(unit_id)
        if record is None:
            return None
        built = self._built.get(unit_id)
        return built[1] if built is not None and built[0] is record else _unit(record)

    def _history(
        self,
        event: str,
        task: Task,
        unit_id: str,
        now: datetime,
        *,
        reason: str | None = None,
        command: OperatorCommand | None = None,
    ) -> Outgoing:
        """A record of `dispatches` about one unit's task."""
        unit = self._unit(unit_id)
        kind = None if unit is None else unit.kind
        return _dispatch_out(
            dispatching.dispatch_record(event, task, unit_id, kind, now, command=command, reason=reason)
        )

    def _publish(self, state: UnitState, now: datetime) -> Outgoing:
        message = board.state_message(state, now)
        self.units[state.unit_id] = {**board.state_record(state), PUBLISHED_STALE: message["position_stale"]}
        self.changes += 1
        return Outgoing(topics.UNITS_STATE, state.unit_id.encode(), codecs.encode(message))


def _dispatch_out(record: dict[str, object]) -> Outgoing:
    return Outgoing(topics.DISPATCHES, str(record["dispatch_id"]).encode(), codecs.encode(record))


def _unit(record: dict[str, Any]) -> Unit:
    return Unit(
        unit_id=str(record["unit_id"]),
        kind=str(record["kind"]),
        home_workstation=str(record["home_workstation"]),
        capabilities=frozenset(record["capabilities"]),
        radio_id=record.get("radio_id"),
        name=record.get("name"),
        status=str(record.get("status", "active")),
    )
