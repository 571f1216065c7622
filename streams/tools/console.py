"""`citygate console`: a live terminal view for operators (rich), an ordinary consumer of the public topics.

Two halves, so the view can be tested without a broker:

- `ConsoleState` is pure: it is fed decoded messages (`feed(topic, value, timestamp)`, or `feed_raw` with the
  bytes off the wire) and end-offset samples (`record_end_offsets`), and `render()` draws a frame. Alerts are
  upserted by alert id, incidents kept as the latest state per id (the compacted topic is a table),
  lockdowns folded from their events (latest per lockdown id; each event carries the state after it).
  A message it cannot use is skipped and counted, never raised.
- `run_console` is the thin I/O loop: kafka-python without a consumer group (every partition assigned, as
  `citygate tail` does), `incidents` read from the beginning, `alerts` from the lookback (by timestamp,
  `offsets_for_times`), `lockdowns` from the lookback or the maximum lockdown duration if longer (so an
  active lockdown's `raised` event is seen), then following; input rates from the end offsets of
  `anpr.hits`, `patrol.reports`, `calls.110` and `deadletter`, sampled every second (no hit is read).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

import click
import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from rich import box
from rich.console import Console, Group, RenderableType
from rich.layout import Layout
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from streams import topics
from streams.domain.geography.topology import RING_ORDER
from streams.domain.incidents.lifecycle import IncidentSettings
from streams.settings import Settings, SettingsError

FOLLOWED = (topics.ALERTS, topics.INCIDENTS, topics.LOCKDOWNS)
RATE_TOPICS = (topics.HITS, topics.PATROL_REPORTS, topics.CALLS, topics.DEADLETTER)
RATE_LABELS = {
    topics.HITS: "anpr.hits",
    topics.PATROL_REPORTS: "patrol.reports",
    topics.CALLS: "calls.110",
    topics.DEADLETTER: "dead letters",
}
RATE_WINDOW_S = 10.0
DEFAULT_LOOKBACK = timedelta(hours=2)
DEFAULT_MAX_ALERTS = 20
# Output topics are written by citygate and may be larger than an input's limit; the broker's default cap.
MAX_VALUE_BYTES = 1024 * 1024
# Alerts kept in memory (latest version of each); the lowest-ranked go first, so the top rows never change.
ALERT_MEMORY = 2000
HIGHLIGHTED_KINDS = {
    "ring_breach": "bold white on red",
    "lookout_sighting": "bold magenta",
    "intercept_ahead": "bold yellow",
}
STATE_STYLES = {"new": "bold", "updated": "", "accepted": "green", "rejected": "dim strike"}
PRIORITY_STYLES = {1: "bold red", 2: "yellow", 3: "dim"}
BAR_CELLS = 10


class ConsoleError(RuntimeError):
    """The console cannot start (no broker, missing topics); the message says what to do."""


class Malformed(ValueError):
    """A message the console cannot show; `reason` is a short code counted on screen."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------- readers


def _text(value: Mapping[str, object], name: str) -> str:
    got = value.get(name)
    if type(got) is not str or not got:
        raise Malformed(f"{name}: missing or not a string")
    return got


def _opt_text(value: Mapping[str, object], name: str) -> str | None:
    got = value.get(name)
    return got if type(got) is str and got else None


def _int(value: Mapping[str, object], name: str, *, minimum: int = 0, maximum: int = 1 << 62) -> int:
    got = value.get(name)
    if type(got) is not int or not minimum <= got <= maximum:
        raise Malformed(f"{name}: missing or not an integer in {minimum}..{maximum}")
    return got


def _opt_int(value: Mapping[str, object], name: str) -> int | None:
    got = value.get(name)
    return got if type(got) is int else None


def _rings(value: Mapping[str, object], name: str) -> list[str]:
    got = value.get(name)
    if type(got) is not list or not all(type(r) is str for r in got):
        raise Malformed(f"{name}: missing or not a list of rings")
    return [r for r in got if isinstance(r, str)]


def _counts(value: Mapping[str, object], name: str) -> dict[str, int]:
    got = value.get(name)
    if type(got) is not dict or not all(type(k) is str and type(n) is int and n >= 0 for k, n in got.items()):
        raise Malformed(f"{name}: missing or not ring → count")
    return {str(k): int(n) for k, n in got.items()}


def _list_len(value: Mapping[str, object], name: str) -> int | None:
    got = value.get(name)
    return len(got) if type(got) is list else None


def _time(raw: object) -> datetime | None:
    """An RFC 3339 time as an aware datetime, or None (the console shows '?' rather than refusing)."""
    if type(raw) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None or not 1900 <= parsed.year <= 9000:  # shown in any zone without overflow
        return None
    return parsed


# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert_id: str
    kind: str
    priority: int
    state: str
    plate: str | None
    checkpoint_id: str | None
    ring: str | None
    summary: str
    # What "newest" sorts by, and the time shown: when it happened (event_time), else when citygate made
    # this version (created_at), else when it reached Kafka.
    when: datetime
    # When it reached Kafka (the message timestamp): the lookback, like the seek, is measured on it.
    received: datetime
    seen: int | None

    @classmethod
    def parse(cls, value: Mapping[str, object], timestamp: datetime) -> AlertRow:
        summary = value.get("summary")
        text = ""
        if isinstance(summary, dict):
            text = next((s for s in (summary.get("zh"), summary.get("en")) if type(s) is str), "")
        sightings = value.get("sightings")
        return cls(
            alert_id=_text(value, "alert_id"),
            kind=_text(value, "kind"),
            priority=_int(value, "priority", minimum=1, maximum=3),
            state=_text(value, "state"),
            plate=_opt_text(value, "plate"),
            checkpoint_id=_opt_text(value, "checkpoint_id"),
            ring=_opt_text(value, "ring"),
            summary=" ".join(text.split()),
            when=_time(value.get("event_time")) or _time(value.get("created_at")) or timestamp,
            received=timestamp,
            seen=_opt_int(sightings, "count") if isinstance(sightings, dict) else None,
        )


@dataclass(frozen=True, slots=True)
class IncidentRow:
    incident_id: str
    status: str
    priority: int
    category: str
    suspects: int | None
    captured: int | None
    armed: bool
    address: str
    calls: int | None
    attachments: int | None
    assigned_to: str | None
    lockdown_id: str | None
    started_at: datetime | None

    @classmethod
    def parse(cls, value: Mapping[str, object]) -> IncidentRow:
        status = _text(value, "status")
        if status not in ("open", "closed"):
            raise Malformed("status: not open or closed")
        address = value.get("address")
        return cls(
            incident_id=_text(value, "incident_id"),
            status=status,
            priority=_int(value, "priority", minimum=1, maximum=3),
            category=_text(value, "category"),
            suspects=_opt_int(value, "suspects"),
            captured=_opt_int(value, "captured"),
            armed=value.get("armed") is True,
            address=" ".join(address.split()) if type(address) is str else "",
            calls=_list_len(value, "call_ids"),
            attachments=_list_len(value, "attachments"),
            assigned_to=_opt_text(value, "assigned_to"),
            lockdown_id=_opt_text(value, "lockdown_id"),
            started_at=_time(value.get("started_at")),
        )


@dataclass(slots=True)
class LockdownView:
    """One lockdown folded from its events: the state after the latest one, plus what only events tell."""

    lockdown_id: str
    incident_id: str | None = None
    status: str = "active"
    rings: list[str] = field(default_factory=list)
    sealed: list[str] = field(default_factory=list)
    staffed: dict[str, int] = field(default_factory=dict)
    required: dict[str, int] = field(default_factory=dict)
    raised_at: datetime | None = None
    first_seen: datetime | None = None
    given_up_events: set[str] = field(default_factory=set)
    last_type: str = ""
    last_at: datetime | None = None
    event_ids: set[str] = field(default_factory=set)

    @property
    def given_up(self) -> list[str]:
        """Rings of the plan no longer closed: named by `escalated` events, or seen missing from `rings`."""
        gone = self.given_up_events | {ring for ring in self.required if ring not in self.rings}
        return _ring_sorted(gone)


def _ring_sorted(rings: Iterable[str]) -> list[str]:
    order = {ring: n for n, ring in enumerate(RING_ORDER)}
    return sorted(set(rings), key=lambda r: (order.get(r, len(order)), r))


# ---------------------------------------------------------------------------------------------- state


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
        timestamp = _from_ms(timestamp_ms)
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
            if not isinstance(value, dict):
                raise Malformed("not a JSON object")
            if topic == topics.ALERTS:
                self._on_alert(value, when)
            elif topic == topics.INCIDENTS:
                self._on_incident(value)
            elif topic == topics.LOCKDOWNS:
                self._on_lockdown_event(value, when)
        except Malformed as exc:
            self.count_malformed(topic, exc.reason)
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
        lockdown_id = _text(value, "lockdown_id")
        event_id = _text(value, "event_id")
        kind = _text(value, "type")
        status = _text(value, "status")
        rings, sealed = _rings(value, "rings"), _rings(value, "sealed")
        staffed, required = _counts(value, "staffed"), _counts(value, "required")
        given_up = _rings(value, "given_up") if "given_up" in value else []
        at = _time(value.get("at")) or when
        view = self.lockdowns.get(lockdown_id)
        if view is None:
            view = self.lockdowns[lockdown_id] = LockdownView(lockdown_id, first_seen=at)
        if event_id in view.event_ids:
            return  # a replay repeats an event id: nothing new
        view.event_ids.add(event_id)
        if kind == "raised":
            view.raised_at = at
            view.given_up_events.clear()
        view.incident_id = _opt_text(value, "incident_id") or view.incident_id
        view.status, view.rings, view.sealed = status, rings, sealed
        view.staffed, view.required = staffed, required
        view.given_up_events.update(given_up)
        view.last_type, view.last_at = kind, at

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

    # -- output -----------------------------------------------------------------------------------

    def render(self, now: datetime | None = None) -> RenderableType:
        """The whole frame at its natural height (what `--once` prints and the tests read)."""
        now = now or self.clock()
        self.expire(now)
        return Group(
            self._top_panel(now),
            self._alerts_panel(now, self.max_alerts),
            self._lockdowns_panel(now),
            self._incidents_panel(now),
        )

    def render_screen(self, console: Console, now: datetime | None = None) -> RenderableType:
        """The frame fitted to a terminal: lockdowns at their height, then as many alerts as fit (at most
        `max_alerts`) while keeping a quarter of the screen for incidents, which get the rest."""
        now = now or self.clock()
        self.expire(now)
        options = console.options.update(width=console.width, height=None)
        height = console.height

        def lines(renderable: RenderableType, cap: int) -> int:
            return max(3, min(cap, len(console.render_lines(renderable, options, pad=False))))

        lockdowns = self._lockdowns_panel(now)
        incidents = self._incidents_panel(now)
        lockdown_h = lines(lockdowns, max(3, height // 3))
        budget = max(6, height - 3 - lockdown_h - lines(incidents, max(3, height // 4)))
        alerts = self._alerts_panel(now, min(self.max_alerts, budget - 4))
        alerts_h = lines(alerts, budget)
        incident_rows = min(self.max_incidents, height - 3 - alerts_h - lockdown_h - 4)
        layout = Layout()
        layout.split_column(
            Layout(self._top_panel(now), name="top", size=3),
            Layout(alerts, name="alerts", size=alerts_h),
            Layout(lockdowns, name="lockdowns", size=lockdown_h),
            Layout(self._incidents_panel(now, incident_rows), name="incidents", ratio=1),
        )
        return layout

    def _clock_text(self, when: datetime | None, now: datetime) -> str:
        if when is None:
            return "?"
        local, today = when.astimezone(self.tz), now.astimezone(self.tz)
        return local.strftime("%H:%M:%S" if local.date() == today.date() else "%m-%d %H:%M")

    def _top_panel(self, now: datetime) -> Panel:
        rates = Text()
        for n, topic in enumerate(RATE_TOPICS):
            if n:
                rates.append("   ")
            rate = self.rate(topic)
            rates.append(f"{RATE_LABELS[topic]} ", style="bold")
            style = "red" if topic == topics.DEADLETTER and rate else ""
            rates.append("—" if rate is None else f"{rate:,.1f}/s", style=style)
        rates.append("   (messages/s over the last 10 s)", style="dim")
        title = " · ".join(
            part
            for part in (
                "citygate console",
                self.source,
                now.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S %z"),
                f"alerts of the last {_duration(self.lookback.total_seconds())}",
            )
            if part
        )
        skipped = sum(self.malformed.values())
        if skipped:
            detail = ", ".join(f"{t} {n}" for t, n in sorted(self.malformed.items()))
            subtitle = Text(
                f"skipped {skipped} malformed ({detail}); last: {self.last_malformed}", style="red"
            )
        else:
            subtitle = Text(f"{self.messages} messages read, none malformed", style="dim")
        for note in self.notes:
            subtitle.append(f" · {note}", style="yellow")
        return Panel(rates, title=Text(title), title_align="left", subtitle=subtitle, subtitle_align="left")

    def _alerts_panel(self, now: datetime, limit: int) -> Panel:
        shown = self.top_alerts(max(0, limit))
        table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_edge=False)
        table.add_column("P", width=2, no_wrap=True)
        table.add_column("time", width=11, no_wrap=True)
        table.add_column("kind", width=18, no_wrap=True)
        table.add_column("state", width=8, no_wrap=True)
        table.add_column("plate", width=10, no_wrap=True, overflow="ellipsis")
        table.add_column("checkpoint", width=14, no_wrap=True, overflow="ellipsis")
        table.add_column("ring", width=5, no_wrap=True)
        table.add_column("seen", width=4, justify="right", no_wrap=True)
        table.add_column("summary", ratio=1, no_wrap=True, overflow="ellipsis")
        for alert in shown:
            highlight = HIGHLIGHTED_KINDS.get(alert.kind)
            table.add_row(
                Text(f"P{alert.priority}", style=PRIORITY_STYLES.get(alert.priority, "")),
                Text(self._clock_text(alert.when, now)),
                Text(("! " if highlight else "") + alert.kind, style=highlight or ""),
                Text(alert.state, style=STATE_STYLES.get(alert.state, "")),
                Text(alert.plate or "-"),
                Text(alert.checkpoint_id or "-"),
                Text(alert.ring or "-"),
                Text("" if alert.seen is None else str(alert.seen)),
                Text(alert.summary),
                style="dim" if alert.state == "rejected" else None,
            )
        total = len(self.alerts)
        title = f"Alerts by priority, newest first ({len(shown)} of {total})"
        body: RenderableType = table if shown else Text("no alerts in view", style="dim")
        return Panel(body, title=title, title_align="left", border_style="red" if self._urgent() else "")

    def _urgent(self) -> bool:
        return any(a.kind == "ring_breach" and a.state != "rejected" for a in self.alerts.values())

    def _incidents_panel(self, now: datetime, limit: int | None = None) -> Panel:
        incidents = self.open_incidents()
        shown = incidents[: self.max_incidents if limit is None else max(1, limit)]
        table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_edge=False)
        table.add_column("incident", width=24, no_wrap=True)
        table.add_column("P", width=2, no_wrap=True)
        table.add_column("category", width=19, no_wrap=True, overflow="ellipsis")
        table.add_column("caught", width=9, no_wrap=True)
        table.add_column("address", ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column("calls", width=5, justify="right", no_wrap=True)
        table.add_column("reports", width=7, justify="right", no_wrap=True)
        table.add_column("assigned", width=12, no_wrap=True, overflow="ellipsis")
        table.add_column("lockdown", width=11, no_wrap=True, overflow="ellipsis")
        table.add_column("open for", width=8, justify="right", no_wrap=True)
        for incident in shown:
            caught = Text(f"{_num(incident.captured)}/{_num(incident.suspects)}")
            if incident.armed:
                caught.append(" armed", style="red")
            since = None if incident.started_at is None else (now - incident.started_at).total_seconds()
            table.add_row(
                Text(incident.incident_id),
                Text(f"P{incident.priority}", style=PRIORITY_STYLES.get(incident.priority, "")),
                Text(incident.category),
                caught,
                Text(incident.address or "-"),
                Text(_num(incident.calls)),
                Text(_num(incident.attachments)),
                Text(incident.assigned_to or "-"),
                Text((incident.lockdown_id or "-")[:11]),
                Text("?" if since is None else _duration(since)),
            )
        more = len(incidents) - len(shown)
        title = f"Open incidents ({len(incidents)})" + (f", {more} more not shown" if more > 0 else "")
        body: RenderableType = table if shown else Text("no open incidents", style="dim")
        return Panel(body, title=title, title_align="left")

    def _lockdowns_panel(self, now: datetime) -> Panel:
        active = self.active_lockdowns()
        lifted = sum(1 for v in self.lockdowns.values() if v.status != "active")
        table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_edge=False)
        table.add_column("lockdown", width=24, no_wrap=True)
        table.add_column("incident", ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column("raised", width=12, no_wrap=True)
        table.add_column("rings closed", width=19, no_wrap=True)
        table.add_column("ring: staffed/required points", width=31, no_wrap=True)
        table.add_column("last event", width=25, no_wrap=True, overflow="ellipsis")
        for view in active:
            incident = self.incidents.get(view.incident_id or "")
            about = Text(view.incident_id or "?")
            if incident is not None:
                about = Text(f"{incident.category} · {incident.address or incident.incident_id}")
            raised = "?"
            if view.raised_at is not None:
                raised = f"{_duration((now - view.raised_at).total_seconds())} ago"
            elif view.first_seen is not None:  # raised before the console's window
                raised = f">{_duration((now - view.first_seen).total_seconds())} ago"
            table.add_row(
                Text(view.lockdown_id),
                about,
                Text(raised),
                Text(" · ".join(_ring_sorted(view.rings)) or "-"),
                _progress(view),
                Text(f"{view.last_type} {self._clock_text(view.last_at, now)}"),
            )
        title = f"Active lockdowns ({len(active)})" + (f", {lifted} lifted in view" if lifted else "")
        body: RenderableType = table if active else Text("no active lockdowns", style="dim")
        return Panel(body, title=title, title_align="left", border_style="bold red" if active else "")


def _progress(view: LockdownView) -> Text:
    """One line per ring of the lockdown: a bar of staffed / required points, and sealed or given up."""
    given_up = view.given_up
    out = Text()
    for n, ring in enumerate(_ring_sorted([*view.required, *view.rings, *view.sealed])):
        required, staffed = view.required.get(ring, 0), view.staffed.get(ring, 0)
        filled = BAR_CELLS if staffed >= required else BAR_CELLS * staffed // required
        if 0 < staffed < required:  # started but not done: never an empty or a full bar
            filled = min(BAR_CELLS - 1, max(1, filled))
        if ring in given_up:
            style, mark = "red", " given up"
        elif ring in view.sealed:
            style, mark = "green", " sealed"
        else:
            style, mark = "yellow", ""
        if n:
            out.append("\n")
        out.append(f"{ring:<6}")
        out.append("█" * filled, style=style)
        out.append("░" * (BAR_CELLS - filled), style="dim")
        out.append(f" {staffed}/{required}{mark}", style=style)
    return out


def _num(value: int | None) -> str:
    return "?" if value is None else str(value)


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600:02d}h"


def _from_ms(timestamp_ms: int | None) -> datetime | None:
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90m`, `2h`, `1h30m`, `45s`, `1d` (a bare number is minutes)."""
    spec = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", spec):
        return timedelta(minutes=float(spec))
    if not spec or _DURATION.sub("", spec).strip():
        raise ValueError(f"not a duration: {text!r} (use e.g. 90m, 2h, 1h30m)")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(spec)))


# ---------------------------------------------------------------------------------------------- I/O


class _RateSampler:
    """End offsets of the rate topics, summed over partitions, sampled into the state."""

    def __init__(self, consumer: KafkaConsumer, settings: Settings) -> None:
        self.consumer = consumer
        self.settings = settings
        self.partitions: dict[str, list[TopicPartition]] = {}
        self.resolved_at = float("-inf")

    def resolve(self) -> None:
        """Partitions of every rate topic (again every 30 s, for topics created or grown since)."""
        for topic in RATE_TOPICS:
            name = self.settings.topic(topic)
            found = self.consumer.partitions_for_topic(name) or set()
            self.partitions[topic] = [TopicPartition(name, p) for p in sorted(found)]
        self.resolved_at = time.monotonic()

    def seed(self, state: ConsoleState) -> None:
        """A first sample as of RATE_WINDOW_S ago (by timestamp), so rates show at once, `--once` too."""
        self.resolve()
        now = time.time()
        for topic, tps in self.partitions.items():
            if not tps:
                continue
            try:
                target = int((now - RATE_WINDOW_S) * 1000)
                found = self.consumer.offsets_for_times(dict.fromkeys(tps, target))
                ends = self.consumer.end_offsets(tps)
            except KafkaError:
                continue
            total = sum(ends[tp] if found.get(tp) is None else found[tp].offset for tp in tps)
            state.record_end_offsets(topic, total, now - RATE_WINDOW_S)

    def sample(self, state: ConsoleState) -> None:
        try:
            if time.monotonic() - self.resolved_at > 30:
                self.resolve()
            for topic, tps in self.partitions.items():
                if tps:
                    ends = self.consumer.end_offsets(tps)
                    state.record_end_offsets(topic, sum(ends.values()), time.time())
        except KafkaError:
            pass  # the broker is away: the rates go stale until it is back, the console goes on


def _assign(
    consumer: KafkaConsumer, settings: Settings, lookback: timedelta
) -> tuple[dict[str, str], list[TopicPartition]]:
    """Assign every partition of the followed topics and seek each to where the view starts."""
    logical = {settings.topic(t): t for t in FOLLOWED}
    by_topic: dict[str, list[TopicPartition]] = {}
    for topic in FOLLOWED:
        name = settings.topic(topic)
        found = consumer.partitions_for_topic(name)
        if not found:
            raise ConsoleError(f"topic {name!r} does not exist; run `citygate topics create`")
        by_topic[topic] = [TopicPartition(name, p) for p in sorted(found)]
    every = [tp for tps in by_topic.values() for tp in tps]
    consumer.assign(every)
    consumer.seek_to_beginning(*by_topic[topics.INCIDENTS])  # compacted: a table, read whole
    now_ms = int(time.time() * 1000)
    since = {
        topics.ALERTS: lookback,
        # An active lockdown may be as old as the maximum duration: start early enough to see it raised.
        topics.LOCKDOWNS: max(lookback, IncidentSettings().max_lockdown + timedelta(minutes=10)),
    }
    for topic, back in since.items():
        tps = by_topic[topic]
        target = now_ms - int(back.total_seconds() * 1000)
        found = consumer.offsets_for_times(dict.fromkeys(tps, max(0, target)))
        for tp in tps:
            hit = found.get(tp)
            if hit is None:
                consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, hit.offset)
    return logical, every


def _drain(consumer: KafkaConsumer, state: ConsoleState, logical: Mapping[str, str], timeout_ms: int) -> int:
    count = 0
    for records in consumer.poll(timeout_ms=timeout_ms, max_records=5000).values():
        for record in records:
            state.feed_raw(
                logical.get(record.topic, record.topic), record.key, record.value, record.timestamp
            )
            count += 1
    return count


def run_console(
    settings: Settings,
    lookback: timedelta = DEFAULT_LOOKBACK,
    max_alerts: int = DEFAULT_MAX_ALERTS,
    once: bool = False,
    *,
    console: Console | None = None,
    refresh_per_second: float = 2.0,
    catch_up_timeout_s: float = 60.0,
) -> ConsoleState:
    """Follow the public topics and draw the console until Ctrl-C; with `once`, read up to the current end,
    print one frame and return. Returns the state (for tests)."""
    console = console or Console()
    state = ConsoleState(
        max_alerts=max_alerts,
        lookback=lookback,
        source=settings.kafka_bootstrap + (f" {settings.topic_prefix}*" if settings.topic_prefix else ""),
    )
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap.split(","),
            group_id=None,
            enable_auto_commit=False,
            allow_auto_create_topics=False,
            client_id="citygate-console",
        )
    except KafkaError as exc:
        raise ConsoleError(f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc}") from None
    try:
        try:
            logical, assigned = _assign(consumer, settings, lookback)
            end = consumer.end_offsets(assigned)  # where `--once` stops
        except KafkaError as exc:
            raise ConsoleError(f"cannot read the topics at {settings.kafka_bootstrap}: {exc!r}") from None
        rates = _RateSampler(consumer, settings)
        rates.seed(state)
        if once:
            deadline = time.monotonic() + catch_up_timeout_s
            while any(consumer.position(tp) < end[tp] for tp in assigned):
                if time.monotonic() > deadline:
                    state.notes.append(f"not caught up after {catch_up_timeout_s:.0f} s")
                    break
                _drain(consumer, state, logical, timeout_ms=200)
            rates.sample(state)
            console.print(state.render())
            return state
        _follow(consumer, state, logical, rates, console, 1.0 / refresh_per_second)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how an operator leaves the console
    finally:
        consumer.close(autocommit=False)
    return state


def _follow(
    consumer: KafkaConsumer,
    state: ConsoleState,
    logical: Mapping[str, str],
    rates: _RateSampler,
    console: Console,
    refresh_s: float,
) -> None:
    next_sample = next_frame = time.monotonic()
    with Live(console=console, screen=True, auto_refresh=False, transient=True) as live:
        while True:
            try:
                _drain(consumer, state, logical, timeout_ms=int(refresh_s * 200))
            except KafkaError as exc:  # shown, and retried on the next round
                state.notes[:] = [f"Kafka: {type(exc).__name__}"]
                time.sleep(refresh_s)
            else:
                state.notes.clear()
            now = time.monotonic()
            if now >= next_sample:
                rates.sample(state)
                next_sample = now + 1.0
            if now >= next_frame:
                live.update(state.render_screen(console), refresh=True)
                next_frame = now + refresh_s


# ---------------------------------------------------------------------------------------------- command


def _lookback_option(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("console")
@click.option(
    "--lookback",
    default="2h",
    show_default=True,
    callback=_lookback_option,
    help="Show alerts of this past period (90m, 2h, 1h30m); lockdowns go back at least 4 h 10 m.",
)
@click.option(
    "--max-alerts", type=click.IntRange(1, 500), default=DEFAULT_MAX_ALERTS, show_default=True, help="Rows."
)
@click.option("--once", is_flag=True, help="Read up to the current end, print one frame and exit.")
@click.option(
    "--width", type=click.IntRange(60, 400), default=None, help="Columns (default: the terminal's)."
)
def console_command(lookback: timedelta, max_alerts: int, once: bool, width: int | None) -> None:
    """Live operator view: alerts by priority, open incidents, active lockdowns, input rates (Ctrl-C ends)."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        run_console(settings, lookback, max_alerts, once, console=Console(width=width))
    except ConsoleError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C while connecting


if __name__ == "__main__":
    console_command()
