"""Dispatch: which units go where, and what the incident and the `dispatches` topic record of it.

Pure (state in → state and records out, time passed in). For a new incident the desk proposes the
`PROPOSED_BY_PRIORITY` nearest available units able to do what it needs (armed suspects: armed units),
ranked by road travel time (forces/travel.py), and records the proposal on the incident. An operator's
`dispatch` command then sends either

- **the proposal** ("one key"): the units of the incident's recorded proposal that are still available, or,
  when none of them is (or the target is a point, which has no proposal), a proposal made at that moment;
- **the units it names** (point-to-point: to an incident or to a point of the topology). A named unit must be
  in the registry, active and on duty; one busy with another task is re-tasked (the operator chose it).

Each unit sent gets a task (forces/board.py), a `dispatched` record on `dispatches` (key: the dispatch id,
one per command and unit, so a command read twice sends the same ids) and an entry in the incident's
`dispatches`. Its arrival (board.Arrived) adds `arrived_at` to that entry and an `arrived` record; a release,
or the incident closing, a `released` record. The incident's timeline (received, dispatched, first unit on
scene, closed) is what response accounting reads (forces/accounting.py `timeline_of`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from streams.domain.commands import OperatorCommand
from streams.domain.exceptions import InvalidInput
from streams.domain.forces import board
from streams.domain.forces.board import Proposal, Task, UnitState
from streams.domain.forces.travel import Candidate, Journey, RoadGraph, rank
from streams.domain.forces.units import Unit
from streams.domain.geography.geo import LonLat
from streams.domain.incidents.lifecycle import Incident

# How many units a new incident's proposal names, by priority (1: lockdown-worthy).
PROPOSED_BY_PRIORITY = {1: 3, 2: 2, 3: 1}
POINT_PROPOSAL = 1  # a dispatch to a point without named units sends the one nearest unit
MAX_DISPATCHES = 50  # units an incident records as sent (schemas/incidents.schema.json)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a dispatch sends units: an incident's place, or a point of the topology."""

    place: LonLat
    incident: Incident | None = None
    point_id: str | None = None

    @property
    def name(self) -> str:
        return self.incident.incident_id if self.incident is not None else str(self.point_id)


@dataclass(frozen=True, slots=True)
class Sent:
    """One unit sent: its new state, its `dispatches` record and the incident's entry for it."""

    unit: Unit
    state: UnitState
    journey: Journey | None  # the estimate by road; None when the unit's whereabouts are unknown
    record: dict[str, object]
    entry: dict[str, object]


def needs_of(incident: Incident) -> tuple[str, ...]:
    """What a unit must be able to do for `incident`: armed suspects need armed units."""
    return ("armed",) if incident.armed else ()


def dispatch_id(command_id: str, unit_id: str) -> str:
    """One id per command and unit: a command applied again gives the same ids."""
    digest = hashlib.sha256(f"dispatch\x1f{command_id}\x1f{unit_id}".encode()).hexdigest()
    return f"dsp-{digest[:20]}"


def proposal_rows(proposals: Iterable[Proposal]) -> tuple[dict[str, object], ...]:
    """A proposal as the incident records it (schemas/incidents.schema.json `proposal`)."""
    return tuple(
        {
            "unit_id": p.unit.unit_id,
            "travel_s": round(p.journey.travel_s, 1),
            "road_m": round(p.journey.road_m),
            "position_from": p.position_from,
        }
        for p in proposals
    )


def propose_for(
    incident: Incident,
    units: Iterable[Unit],
    states: Mapping[str, UnitState],
    homes: Mapping[str, LonLat],
    graph: RoadGraph,
    now: datetime,
) -> tuple[dict[str, object], ...]:
    """The proposal a new incident records: its priority's number of units, nearest by road first."""
    count = PROPOSED_BY_PRIORITY.get(incident.priority, 1)
    place = (incident.lon, incident.lat)
    found = board.propose(units, states, homes, graph, place, now, count=count, needs=needs_of(incident))
    return proposal_rows(found)


def choose(
    command: OperatorCommand,
    target: Target,
    registry: Mapping[str, Unit],
    states: Mapping[str, UnitState],
    homes: Mapping[str, LonLat],
    graph: RoadGraph,
    now: datetime,
) -> list[tuple[Unit, Journey | None, str]]:
    """The units a dispatch command sends to `target`, each with its road estimate and where it was
    taken to start from; `InvalidInput` when one it names cannot go or no unit can."""
    if target.incident is not None and len(target.incident.dispatches) >= MAX_DISPATCHES:
        raise InvalidInput(
            "invalid_value", f"{target.name} has had {MAX_DISPATCHES} units sent already: open a new incident"
        )
    if command.units:
        return [_named(unit_id, target, registry, states, homes, graph, now) for unit_id in command.units]
    needs = needs_of(target.incident) if target.incident is not None else ()
    recorded = [] if target.incident is None else [str(r["unit_id"]) for r in target.incident.proposal]
    found: list[Proposal] = []
    if recorded:
        still = [registry[u] for u in recorded if u in registry]
        found = board.propose(
            still, states, homes, graph, target.place, now, count=len(recorded), needs=needs
        )
    if not found:
        count = (
            PROPOSED_BY_PRIORITY.get(target.incident.priority, 1)
            if target.incident is not None
            else POINT_PROPOSAL
        )
        found = board.propose(
            registry.values(), states, homes, graph, target.place, now, count=count, needs=needs
        )
    if not found:
        wanted = f" able to do {', '.join(needs)}" if needs else ""
        raise InvalidInput("invalid_value", f"no available unit{wanted} can be sent to {target.name}")
    return [(p.unit, p.journey, p.position_from) for p in found]


def send(
    command: OperatorCommand,
    target: Target,
    chosen: Sequence[tuple[Unit, Journey | None, str]],
    states: Mapping[str, UnitState],
    now: datetime,
) -> list[Sent]:
    """Each chosen unit tasked to `target` as of `now` (when the desk applied the command)."""
    out = []
    incident_id = None if target.incident is None else target.incident.incident_id
    for unit, journey, position_from in chosen:
        task = Task(
            dispatch_id(command.command_id, unit.unit_id), target.place, now, incident_id, target.point_id
        )
        state = board.dispatch(states.get(unit.unit_id), unit.unit_id, task)
        record = dispatch_record(
            "dispatched",
            task,
            unit.unit_id,
            unit.kind,
            now,
            estimate=None
            if journey is None
            else {
                "travel_s": round(journey.travel_s, 1),
                "road_m": round(journey.road_m),
                "position_from": position_from,
            },
            command=command,
        )
        entry: dict[str, object] = {
            "dispatch_id": task.dispatch_id,
            "unit_id": unit.unit_id,
            "unit_kind": unit.kind,
            "dispatched_at": now.isoformat(),
            "arrived_at": None,
        }
        out.append(Sent(unit, state, journey, record, entry))
    return out


def summary(sent: Sequence[Sent], target: Target) -> str:
    """One line for the operator: who goes, and how long each should take by road."""
    parts = []
    for one in sent:
        eta = "" if one.journey is None else f" (~{one.journey.travel_s / 60:.1f} min by road)"
        parts.append(f"{one.unit.unit_id}{eta}")
    return f"sent {', '.join(parts)} to {target.name}"


def dispatch_record(
    event: str,
    task: Task,
    unit_id: str,
    unit_kind: str | None,
    now: datetime,
    *,
    estimate: Mapping[str, object] | None = None,
    command: OperatorCommand | None = None,
    reason: str | None = None,
) -> dict[str, object]:
    """A `dispatches` value (schemas/dispatches.schema.json): `dispatched`, `arrived` or `released`."""
    arrived = task.arrived_at
    return {
        "schema_version": 1,
        "dispatch_id": task.dispatch_id,
        "event": event,
        "unit_id": unit_id,
        "unit_kind": unit_kind,
        "incident_id": task.incident_id,
        "point_id": task.point_id,
        "place": {"lon": task.place[0], "lat": task.place[1]},
        "dispatched_at": task.dispatched_at.isoformat(),
        "estimate": None if estimate is None else dict(estimate),
        "arrived_at": None if arrived is None else arrived.isoformat(),
        "travel_s": None if arrived is None else round((arrived - task.dispatched_at).total_seconds(), 1),
        "command_id": None if command is None else command.command_id,
        "operator_id": None if command is None else command.operator_id,
        "reason": reason,
        "at": now.isoformat(),
    }


def with_dispatches(incident: Incident, entries: Sequence[dict[str, object]], now: datetime) -> Incident:
    """The incident with the units just sent to it (a re-sent unit's earlier entry stays: its history)."""
    return replace(incident, dispatches=(*incident.dispatches, *entries), updated_at=now.isoformat())


def with_arrival(incident: Incident, arrived: board.Arrived, now: datetime) -> Incident | None:
    """The incident with a unit's arrival on its entry; None when the incident has no such dispatch or
    knows of the arrival already."""
    entries = list(incident.dispatches)
    for i, entry in enumerate(entries):
        if entry.get("dispatch_id") == arrived.dispatch_id:
            if entry.get("arrived_at") is not None:
                return None
            entries[i] = {**entry, "arrived_at": arrived.arrived_at.isoformat()}
            return replace(incident, dispatches=tuple(entries), updated_at=now.isoformat())
    return None


def first_arrival(incident: Incident) -> datetime | None:
    """When the first unit sent to the incident arrived."""
    times = [datetime.fromisoformat(str(e["arrived_at"])) for e in incident.dispatches if e.get("arrived_at")]
    return min(times) if times else None


def _named(
    unit_id: str,
    target: Target,
    registry: Mapping[str, Unit],
    states: Mapping[str, UnitState],
    homes: Mapping[str, LonLat],
    graph: RoadGraph,
    now: datetime,
) -> tuple[Unit, Journey | None, str]:
    unit = registry.get(unit_id)
    if unit is None:
        raise InvalidInput("invalid_value", f"unit {unit_id} is not in the unit registry")
    if not unit.active:
        raise InvalidInput("invalid_value", f"unit {unit_id} is retired")
    state = states.get(unit_id)
    if state is not None and state.status == "off_duty":
        raise InvalidInput("invalid_value", f"unit {unit_id} is off duty")
    start = board.start_of(unit, state, homes, now)
    if start is None:
        return unit, None, "unknown"
    position, source = start
    journeys = rank(graph, target.place, [Candidate(unit_id, position, unit.mounted)], 1)
    return unit, (journeys[0] if journeys else None), source
