"""Where each unit is and what it is doing, folded from its radio reports and the desk's dispatches.

Pure (state in → state and events out, time passed in). A unit's position moves forward only: a report
older than the position already known (a radio room replaying, out-of-order delivery) says nothing new
about where the unit is. A position older than `STALE_AFTER` is flagged stale: the desk sees it, and a
proposal says so rather than trusting it.

Status: `available` until the desk sends the unit somewhere (`dispatched`); its first report after that is
`en_route`; it is `on_scene` once it reports from within `ARRIVAL_RADIUS_M` of the task's place or reports
`arrived_at_point` at the task's point (the `Arrived` event carries the response time); `release` makes it
available again. `off_duty` is set and cleared by the desk; such a unit is never proposed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from streams.domain.forces.travel import Candidate, Journey, RoadGraph, rank
from streams.domain.forces.units import Unit
from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat
from streams.domain.incidents.reports import Report


class PlaceFields(Protocol):
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...


class TaskFields(Protocol):
    @property
    def dispatch_id(self) -> str: ...
    @property
    def place(self) -> PlaceFields: ...
    @property
    def dispatched_at(self) -> str: ...
    @property
    def incident_id(self) -> str | None: ...
    @property
    def point_id(self) -> str | None: ...
    @property
    def arrived_at(self) -> str | None: ...


class StateFields(Protocol):
    """A `units.state` message as decoded (schema-checked)."""

    @property
    def unit_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def position(self) -> PlaceFields | None: ...
    @property
    def position_at(self) -> str | None: ...
    @property
    def task(self) -> TaskFields | None: ...


UNIT_STATUSES = ("available", "dispatched", "en_route", "on_scene", "off_duty")
STALE_AFTER = timedelta(minutes=10)
ARRIVAL_RADIUS_M = 150.0


@dataclass(frozen=True, slots=True)
class Task:
    """Where the desk sent a unit: an incident's place, or a point (point-to-point command)."""

    dispatch_id: str
    place: LonLat
    dispatched_at: datetime
    incident_id: str | None = None
    point_id: str | None = None
    arrived_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UnitState:
    unit_id: str
    status: str = "available"
    position: LonLat | None = None
    position_at: datetime | None = None  # the time of the report that gave the position
    task: Task | None = None

    def stale(self, now: datetime) -> bool:
        return self.position_at is None or now - self.position_at > STALE_AFTER


@dataclass(frozen=True, slots=True)
class Arrived:
    """A unit reached what it was sent to."""

    unit_id: str
    dispatch_id: str
    incident_id: str | None
    point_id: str | None
    arrived_at: datetime
    response_s: float  # dispatched → on scene


@dataclass(frozen=True, slots=True)
class Proposal:
    unit: Unit
    journey: Journey
    position_from: str  # "report", "stale report" or "home" (no report yet: its home workstation)


def apply_report(state: UnitState | None, report: Report) -> tuple[UnitState, list[Arrived]]:
    """The unit's state after one of its radio reports, and an `Arrived` when it reached its task."""
    current = state or UnitState(report.unit_id)
    place = (report.lon, report.lat) if report.lon is not None and report.lat is not None else None
    newer = current.position_at is None or report.at > current.position_at
    if place is not None and newer:
        current = replace(current, position=place, position_at=report.at)
    task = current.task
    if task is None or task.arrived_at is not None or report.at < task.dispatched_at:
        return current, []
    reached = (
        report.kind == "arrived_at_point" and task.point_id is not None and report.point_id == task.point_id
    ) or (place is not None and geo.distance_m(place, task.place) <= ARRIVAL_RADIUS_M)
    if not reached:
        return (replace(current, status="en_route") if current.status == "dispatched" else current), []
    arrived = replace(task, arrived_at=report.at)
    event = Arrived(
        current.unit_id,
        task.dispatch_id,
        task.incident_id,
        task.point_id,
        report.at,
        max(0.0, (report.at - task.dispatched_at).total_seconds()),
    )
    return replace(current, status="on_scene", task=arrived), [event]


def dispatch(state: UnitState | None, unit_id: str, task: Task) -> UnitState:
    """The unit sent to `task` (a new task replaces an old one: the desk re-tasked it)."""
    return replace(state or UnitState(unit_id), status="dispatched", task=task)


def release(state: UnitState | None, unit_id: str) -> UnitState:
    """Back to available, its task done (or called off)."""
    return replace(state or UnitState(unit_id), status="available", task=None)


def set_off_duty(state: UnitState | None, unit_id: str, off_duty: bool) -> UnitState:
    current = state or UnitState(unit_id)
    if off_duty:
        return replace(current, status="off_duty", task=None)
    return replace(current, status="available") if current.status == "off_duty" else current


def start_of(
    unit: Unit, state: UnitState | None, homes: Mapping[str, LonLat], now: datetime
) -> tuple[LonLat, str] | None:
    """Where a unit starts a journey from, and why we think so: its last report ("report", or "stale
    report" when older than STALE_AFTER), else its home workstation ("home"), else None (nowhere known)."""
    if state is not None and state.position is not None:
        return state.position, "stale report" if state.stale(now) else "report"
    if unit.home_workstation in homes:
        return homes[unit.home_workstation], "home"
    return None


def propose(
    units: Iterable[Unit],
    states: Mapping[str, UnitState],
    homes: Mapping[str, LonLat],
    graph: RoadGraph,
    place: LonLat,
    now: datetime,
    *,
    count: int = 3,
    needs: Iterable[str] = (),
) -> list[Proposal]:
    """The `count` active, available units able to do `needs` that reach `place` soonest by road.

    A unit is where it last reported; one that never reported is at its home workstation (`homes`: point
    id → place), and one with neither is left out (nowhere to start from)."""
    wanted = tuple(needs)
    chosen: dict[str, tuple[Unit, str]] = {}
    candidates = []
    for unit in units:
        state = states.get(unit.unit_id)
        if not unit.active or not unit.can(wanted) or (state is not None and state.status != "available"):
            continue
        start = start_of(unit, state, homes, now)
        if start is None:
            continue
        position, source = start
        chosen[unit.unit_id] = (unit, source)
        candidates.append(Candidate(unit.unit_id, position, unit.mounted))
    return [
        Proposal(chosen[j.unit_id][0], j, chosen[j.unit_id][1]) for j in rank(graph, place, candidates, count)
    ]


# ------------------------------------------------------------------------------------- records and messages


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: object) -> datetime | None:
    return None if text is None else datetime.fromisoformat(str(text))


def state_record(state: UnitState) -> dict[str, object]:
    """The state as a table record (JSON types only); `state_from_record` reads it back."""
    task = state.task
    return {
        "unit_id": state.unit_id,
        "status": state.status,
        "position": None if state.position is None else list(state.position),
        "position_at": _iso(state.position_at),
        "task": None
        if task is None
        else {
            "dispatch_id": task.dispatch_id,
            "place": list(task.place),
            "dispatched_at": _iso(task.dispatched_at),
            "incident_id": task.incident_id,
            "point_id": task.point_id,
            "arrived_at": _iso(task.arrived_at),
        },
    }


def state_from_record(record: Mapping[str, object]) -> UnitState:
    position = record.get("position")
    task = record.get("task")
    found_task = None
    if isinstance(task, dict):
        lon, lat = task["place"]
        dispatched = _moment(task["dispatched_at"])
        assert dispatched is not None  # noqa: S101 - written by state_record
        found_task = Task(
            str(task["dispatch_id"]),
            (float(lon), float(lat)),
            dispatched,
            task.get("incident_id"),
            task.get("point_id"),
            _moment(task.get("arrived_at")),
        )
    return UnitState(
        unit_id=str(record["unit_id"]),
        status=str(record["status"]),
        position=None if not isinstance(position, list) else (float(position[0]), float(position[1])),
        position_at=_moment(record.get("position_at")),
        task=found_task,
    )


def state_message(state: UnitState, now: datetime) -> dict[str, object]:
    """The `units.state` message of a unit as of `now` (schemas/units.state.schema.json)."""
    position, task = state.position, state.task
    return {
        "schema_version": 1,
        "unit_id": state.unit_id,
        "status": state.status,
        "position": None if position is None else {"lon": position[0], "lat": position[1]},
        "position_at": _iso(state.position_at),
        "position_stale": state.stale(now),
        "task": None
        if task is None
        else {
            "dispatch_id": task.dispatch_id,
            "place": {"lon": task.place[0], "lat": task.place[1]},
            "dispatched_at": _iso(task.dispatched_at),
            "incident_id": task.incident_id,
            "point_id": task.point_id,
            "arrived_at": _iso(task.arrived_at),
        },
        "updated_at": _iso(now),
    }


def state_from_message(message: StateFields) -> UnitState:
    """A `units.state` message (decoded, schema-checked) as the state it describes."""
    task = message.task
    return UnitState(
        unit_id=message.unit_id,
        status=message.status,
        position=None if message.position is None else (message.position.lon, message.position.lat),
        position_at=_moment(message.position_at),
        task=None
        if task is None
        else Task(
            task.dispatch_id,
            (task.place.lon, task.place.lat),
            datetime.fromisoformat(task.dispatched_at),
            task.incident_id,
            task.point_id,
            _moment(task.arrived_at),
        ),
    )
