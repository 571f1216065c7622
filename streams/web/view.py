"""What the web console shows, folded from the public topics: the latest alerts, the lockdowns (their plan
and which points are staffed), the incidents, the units' states and the answers to operators' commands.

Pure: a message in (logical topic, key, value, broker time) → the change to push to the browsers, or None
when it changes nothing shown. The values are citygate's own output, read as untrusted all the same: a value
that is not a JSON object carrying its id within `MAX_VALUE_BYTES` is skipped and counted, never raised (a
browser draws every text with textContent, never as markup).

Restricted alerts (`alerts.restricted`) are kept apart: they are in a snapshot, and a change about one goes
out, only for a privileged session (the server reads that topic only when its Kafka role may).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from streams import topics

FOLLOWED = (
    topics.ALERTS,
    topics.ALERTS_RESTRICTED,
    topics.LOCKDOWNS,
    topics.INCIDENTS,
    topics.UNITS_STATE,
    topics.COMMAND_RESULTS,
)
MAX_VALUE_BYTES = 1024 * 1024
MAX_ALERTS = 1000  # per alert topic: the newest; older ones drop off the page
MAX_CLOSED_INCIDENTS = 100
MAX_ANSWERS = 500
ID_FIELD = {
    topics.ALERTS: "alert_id",
    topics.ALERTS_RESTRICTED: "alert_id",
    topics.LOCKDOWNS: "lockdown_id",
    topics.INCIDENTS: "incident_id",
    topics.UNITS_STATE: "unit_id",
    topics.COMMAND_RESULTS: "command_id",
}
KIND = {
    topics.ALERTS: "alert",
    topics.ALERTS_RESTRICTED: "alert",
    topics.LOCKDOWNS: "lockdown",
    topics.INCIDENTS: "incident",
    topics.UNITS_STATE: "unit",
    topics.COMMAND_RESULTS: "answer",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One thing the page redraws: `kind` (alert, lockdown, incident, unit, answer) and its new state."""

    kind: str
    data: dict[str, Any]
    restricted: bool = False

    def for_session(self, privileged: bool) -> bool:
        return privileged or not self.restricted


@dataclass
class LockdownState:
    """A lockdown as the page draws it: its latest event, and per ring the points its plan requires and
    those staffed so far (the events carry counts; the plan and the point_staffed events name points)."""

    latest: dict[str, Any]
    required: dict[str, list[str]] = field(default_factory=dict)
    staffed: set[str] = field(default_factory=set)

    def shown(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "lockdown_id": latest.get("lockdown_id"),
            "incident_id": latest.get("incident_id"),
            "status": latest.get("status"),
            "type": latest.get("type"),
            "at": latest.get("at"),
            "rings": latest.get("rings") or [],
            "sealed": latest.get("sealed") or {},
            "points": {
                ring: {"required": points, "staffed": [p for p in points if p in self.staffed]}
                for ring, points in self.required.items()
            },
        }


class DeskView:
    def __init__(self, max_alerts: int = MAX_ALERTS) -> None:
        self.max_alerts = max_alerts
        self.alerts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.restricted: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.lockdowns: dict[str, LockdownState] = {}
        self.incidents: dict[str, dict[str, Any]] = {}
        self.units: dict[str, dict[str, Any]] = {}
        self.answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.skipped = 0

    def apply(self, topic: str, key: bytes | None, value: bytes | None, at: datetime) -> Change | None:
        """One record of a followed topic (logical name); `at`: its broker time."""
        loaded = self._load(topic, value)
        if loaded is None:
            return None
        record_id = str(loaded[ID_FIELD[topic]])
        if topic in (topics.ALERTS, topics.ALERTS_RESTRICTED):
            book = self.alerts if topic == topics.ALERTS else self.restricted
            shown = {**loaded, "received_at": at.isoformat()}
            book[record_id] = shown
            book.move_to_end(record_id)
            while len(book) > self.max_alerts:
                book.popitem(last=False)
            return Change("alert", shown, restricted=topic == topics.ALERTS_RESTRICTED)
        if topic == topics.LOCKDOWNS:
            return Change("lockdown", self._lockdown(record_id, loaded).shown())
        if topic == topics.INCIDENTS:
            self.incidents[record_id] = loaded
            self._forget_closed()
            return Change("incident", loaded)
        if topic == topics.UNITS_STATE:
            self.units[record_id] = loaded
            return Change("unit", loaded)
        self.answers[record_id] = loaded
        while len(self.answers) > MAX_ANSWERS:
            self.answers.popitem(last=False)
        return Change("answer", loaded)

    def snapshot(self, privileged: bool) -> dict[str, Any]:
        """Everything the page shows, for a session that has just connected."""
        alerts = list(self.alerts.values())
        if privileged:
            alerts += list(self.restricted.values())
        return {
            "alerts": alerts,
            "lockdowns": [state.shown() for state in self.lockdowns.values()],
            "incidents": list(self.incidents.values()),
            "units": list(self.units.values()),
        }

    def _load(self, topic: str, value: bytes | None) -> dict[str, Any] | None:
        if value is None or len(value) > MAX_VALUE_BYTES:
            self.skipped += value is not None
            return None
        try:
            loaded = orjson.loads(value)
        except orjson.JSONDecodeError:
            loaded = None
        if not isinstance(loaded, dict) or not isinstance(loaded.get(ID_FIELD[topic]), str):
            self.skipped += 1
            return None
        return loaded

    def _lockdown(self, lockdown_id: str, event: dict[str, Any]) -> LockdownState:
        state = self.lockdowns.get(lockdown_id)
        if state is None:
            state = self.lockdowns[lockdown_id] = LockdownState(event)
        state.latest = event
        if event.get("type") == "raised":
            plan = event.get("plan")
            for ring in (plan.get("rings") if isinstance(plan, dict) else None) or []:
                if isinstance(ring, dict) and isinstance(ring.get("ring"), str):
                    required = ring.get("required") or []
                    state.required[ring["ring"]] = [str(p) for p in required if isinstance(p, str)]
        elif event.get("type") == "point_staffed" and isinstance(event.get("point_id"), str):
            state.staffed.add(event["point_id"])
        return state

    def _forget_closed(self) -> None:
        closed = [i for i, r in self.incidents.items() if r.get("status") != "open"]
        for incident_id in closed[: max(0, len(closed) - MAX_CLOSED_INCIDENTS)]:
            del self.incidents[incident_id]
