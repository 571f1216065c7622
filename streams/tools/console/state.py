"""The console's state: fed messages and end-offset samples, asked what to show. Pure: no Kafka, no terminal,
the clock injectable (tests pass one); `render()` hands the drawing to view.py.

Alerts are upserted by alert id, incidents kept as the latest state per id (the compacted topic is a table),
lockdowns folded from their events (latest per lockdown id; each event carries the state after it). A message
it cannot use is skipped and counted, never raised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

import orjson

from streams import topics
from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.tools.console.options import DEFAULT_LOOKBACK, DEFAULT_MAX_ALERTS
from streams.tools.console.records import (
    MAX_VALUE_BYTES,
    AlertRow,
    IncidentRow,
    LockdownEvent,
    LockdownView,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

FOLLOWED = (topics.ALERTS, topics.INCIDENTS, topics.LOCKDOWNS)
RATE_TOPICS = (topics.HITS, topics.PATROL_REPORTS, topics.CALLS, topics.DEADLETTER)
RATE_WINDOW_S = 10.0
# Alerts kept in memory (latest version of each); the lowest-ranked go first, so the top rows never change.
ALERT_MEMORY = 2000


class ConsoleState:
    """Everything on the operator's screen, built from messages; `render()` draws it (no I/O here)."""

    def __init__(
        self,
        *,
        max_alerts: int = DEFAULT_MAX_ALERTS,
        lookback: timedelta = DEFAULT_LOOKBACK,
        source: str = "",
        tz: tzinfo | None = None,
        clock: Callable[[], datetime] | None = None,
        max_incidents: int = 30,
    ) -> None:
        self.max_alerts = max_alerts
        self.max_incidents = max_incidents
        self.lookback = lookback
        self.source = source
        self.tz = tz or datetime.now(UTC).astimezone().tzinfo or UTC
        self.clock = clock or (lambda: datetime.now(UTC))
        self.alerts: dict[str, AlertRow] = {}
        self.incidents: dict[str, IncidentRow] = {}  # open ones only
        self.lockdowns: dict[str, LockdownView] = {}
        self.malformed: dict[str, int] = {}
        self.last_malformed: str | None = None
        self.messages = 0
        self.notes: list[str] = []
        self._offsets: dict[str, deque[tuple[float, int]]] = {}

    # -- input ------------------------------------------------------------------------------------

    def feed_raw(self, topic: str, key: bytes | None, value: bytes | None, timestamp_ms: int | None) -> None:
        """One message as consumed (bytes); anything undecodable is counted, not raised."""
        timestamp = from_ms(timestamp_ms)
        if value is None:
            self._tombstone(topic, key)
            return
        if len(value) > MAX_VALUE_BYTES:
            self.count_malformed(topic, f"oversized ({len(value)} bytes)")
            return
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            self.count_malformed(topic, "not UTF-8 JSON")
            return
        self.feed(topic, decoded, timestamp)

    def feed(self, topic: str, value: object, timestamp: datetime | None = None) -> None:
        """One decoded message of a public topic (logical name, e.g. `alerts`)."""
        self.messages += 1
        when = timestamp or self.clock()
        try:
            message = fields.as_object(value, "a message")
            if topic == topics.ALERTS:
                self._on_alert(message, when)
            elif topic == topics.INCIDENTS:
                self._on_incident(message)
            elif topic == topics.LOCKDOWNS:
                self._on_lockdown_event(message, when)
        except InvalidInput as exc:
            self.count_malformed(topic, exc.detail)
        except Exception as exc:  # a viewer never dies on one message; the count shows something is off
            self.count_malformed(topic, f"unexpected {type(exc).__name__}")

    def count_malformed(self, topic: str, reason: str) -> None:
        self.malformed[topic] = self.malformed.get(topic, 0) + 1
        self.last_malformed = f"{topic}: {reason}"

    def record_end_offsets(self, topic: str, total: int, at: float) -> None:
        """A sample of a topic's end offsets (summed over partitions) at `at` (seconds, any fixed epoch)."""
        samples = self._offsets.setdefault(topic, deque())
        if samples and at <= samples[-1][0]:
            return
        samples.append((at, total))
        # Keep one sample at or before the window's start, and everything after it.
        while len(samples) >= 2 and samples[1][0] <= at - RATE_WINDOW_S:
            samples.popleft()

    def rate(self, topic: str) -> float | None:
        """Messages per second over the last RATE_WINDOW_S (or what is sampled of it), None when unknown."""
        samples = self._offsets.get(topic)
        if not samples or len(samples) < 2:
            return None
        (t0, o0), (t1, o1) = samples[0], samples[-1]
        if t1 - t0 < 0.5:
            return None
        return max(0, o1 - o0) / (t1 - t0)

    def _tombstone(self, topic: str, key: bytes | None) -> None:
        self.messages += 1
        if topic == topics.INCIDENTS and key:
            self.incidents.pop(key.decode("utf-8", "replace"), None)
        elif topic != topics.INCIDENTS:
            self.count_malformed(topic, "null value")

    def _on_alert(self, value: Mapping[str, object], when: datetime) -> None:
        row = AlertRow.parse(value, when)
        self.alerts[row.alert_id] = row
        if len(self.alerts) > ALERT_MEMORY + ALERT_MEMORY // 10:
            keep = self._ranked_alerts()[:ALERT_MEMORY]
            self.alerts = {a.alert_id: a for a in keep}

    def _on_incident(self, value: Mapping[str, object]) -> None:
        row = IncidentRow.parse(value)
        if row.status == "open":
            self.incidents[row.incident_id] = row
        else:
            self.incidents.pop(row.incident_id, None)

    def _on_lockdown_event(self, value: Mapping[str, object], when: datetime) -> None:
        event = LockdownEvent.parse(value)
        at = event.at or when
        view = self.lockdowns.get(event.lockdown_id)
        if view is None:
            view = self.lockdowns[event.lockdown_id] = LockdownView(event.lockdown_id, first_seen=at)
        view.apply(event, at)

    # -- queries ----------------------------------------------------------------------------------

    def expire(self, now: datetime) -> None:
        """Forget alerts, and lifted lockdowns, older than the lookback (a console may run for days)."""
        since = now - self.lookback
        self.alerts = {k: a for k, a in self.alerts.items() if a.received >= since}
        for lockdown_id, view in list(self.lockdowns.items()):
            if view.status != "active" and (view.last_at is None or view.last_at < since):
                del self.lockdowns[lockdown_id]

    def _ranked_alerts(self) -> list[AlertRow]:
        """P1 first, then the newest first."""
        return sorted(self.alerts.values(), key=lambda a: (a.priority, -a.when.timestamp(), a.alert_id))

    def top_alerts(self, limit: int | None = None) -> list[AlertRow]:
        return self._ranked_alerts()[: self.max_alerts if limit is None else limit]

    def alerts_starting(self, prefix: str) -> list[AlertRow]:
        """The alerts in view whose id is `prefix` or starts with it (the whole id always names one)."""
        exact = self.alerts.get(prefix)
        if exact is not None:
            return [exact]
        return sorted(
            (a for a in self.alerts.values() if a.alert_id.startswith(prefix)), key=lambda a: a.alert_id
        )

    def open_incidents(self) -> list[IncidentRow]:
        far_past = datetime.min.replace(tzinfo=UTC)
        return sorted(
            self.incidents.values(),
            key=lambda i: (i.priority, -(i.started_at or far_past).timestamp(), i.incident_id),
        )

    def active_lockdowns(self) -> list[LockdownView]:
        active = [v for v in self.lockdowns.values() if v.status == "active"]
        far_past = datetime.min.replace(tzinfo=UTC)
        return sorted(active, key=lambda v: v.raised_at or v.first_seen or far_past, reverse=True)

    def urgent(self) -> bool:
        """A ring breach nobody rejected: the alerts panel's border turns red."""
        return any(a.kind == "ring_breach" and a.state != "rejected" for a in self.alerts.values())

    # -- output (rich is imported on the first frame, not with the state) ---------------------------

    def render(self, now: datetime | None = None) -> RenderableType:
        """The whole frame at its natural height (what `--once` prints and the tests read)."""
        from streams.tools.console import view

        now = now or self.clock()
        self.expire(now)
        return view.frame(self, now)

    def render_screen(self, console: Console, now: datetime | None = None) -> RenderableType:
        """The frame fitted to `console`'s terminal (see view.screen)."""
        from streams.tools.console import view

        now = now or self.clock()
        self.expire(now)
        return view.screen(self, console, now)


def from_ms(timestamp_ms: int | None) -> datetime | None:
    """A Kafka record timestamp (epoch ms; -1 or None when the record has none) as an aware datetime."""
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
