"""The console's frame, drawn with rich from a ConsoleState: a header with input rates, alerts by priority,
active lockdowns with staffing bars per ring, open incidents. Message text is always a `Text`, never markup.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console, Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.text import Text

from streams import topics
from streams.tools.console.columns import Column, FittedTable, id_least
from streams.tools.console.records import LockdownView, ring_sorted
from streams.tools.console.state import RATE_TOPICS, ConsoleState

RATE_LABELS = {
    topics.HITS: "anpr.hits",
    topics.PATROL_REPORTS: "patrol.reports",
    topics.CALLS: "calls.110",
    topics.DEADLETTER: "dead letters",
}
HIGHLIGHTED_KINDS = {
    "ring_breach": "bold white on red",
    "lookout_sighting": "bold magenta",
    "intercept_ahead": "bold yellow",
}
STATE_STYLES = {"new": "bold", "updated": "", "accepted": "green", "rejected": "dim strike"}
PRIORITY_STYLES = {1: "bold red", 2: "yellow", 3: "dim"}
BAR_CELLS = 10


def frame(state: ConsoleState, now: datetime) -> RenderableType:
    """The whole frame at its natural height (what `--once` prints and the tests read)."""
    return Group(
        _top_panel(state, now),
        _alerts_panel(state, now, state.max_alerts),
        _lockdowns_panel(state, now),
        _incidents_panel(state, now),
    )


def screen(state: ConsoleState, console: Console, now: datetime) -> RenderableType:
    """The frame fitted to a terminal: lockdowns at their height, then as many alerts as fit (at most
    `max_alerts`) while keeping a quarter of the screen for incidents, which get the rest."""
    options = console.options.update(width=console.width, height=None)
    height = console.height

    def lines(renderable: RenderableType, cap: int) -> int:
        return max(3, min(cap, len(console.render_lines(renderable, options, pad=False))))

    lockdowns = _lockdowns_panel(state, now)
    incidents = _incidents_panel(state, now)
    lockdown_h = lines(lockdowns, max(3, height // 3))
    budget = max(6, height - 3 - lockdown_h - lines(incidents, max(3, height // 4)))
    alerts = _alerts_panel(state, now, min(state.max_alerts, budget - 4))
    alerts_h = lines(alerts, budget)
    incident_rows = min(state.max_incidents, height - 3 - alerts_h - lockdown_h - 4)
    layout = Layout()
    layout.split_column(
        Layout(_top_panel(state, now), name="top", size=3),
        Layout(alerts, name="alerts", size=alerts_h),
        Layout(lockdowns, name="lockdowns", size=lockdown_h),
        Layout(_incidents_panel(state, now, incident_rows), name="incidents", ratio=1),
    )
    return layout


def _clock_text(state: ConsoleState, when: datetime | None, now: datetime) -> str:
    if when is None:
        return "?"
    local, today = when.astimezone(state.tz), now.astimezone(state.tz)
    return local.strftime("%H:%M:%S" if local.date() == today.date() else "%m-%d %H:%M")


def _top_panel(state: ConsoleState, now: datetime) -> Panel:
    rates = Text()
    for n, topic in enumerate(RATE_TOPICS):
        if n:
            rates.append("   ")
        rate = state.rate(topic)
        rates.append(f"{RATE_LABELS[topic]} ", style="bold")
        style = "red" if topic == topics.DEADLETTER and rate else ""
        rates.append("—" if rate is None else f"{rate:,.1f}/s", style=style)
    rates.append("   (messages/s over the last 10 s)", style="dim")
    title = " · ".join(
        part
        for part in (
            "citygate console",
            state.source,
            now.astimezone(state.tz).strftime("%Y-%m-%d %H:%M:%S %z"),
            f"alerts of the last {_duration(state.lookback.total_seconds())}",
        )
        if part
    )
    skipped = sum(state.malformed.values())
    if skipped:
        detail = ", ".join(f"{t} {n}" for t, n in sorted(state.malformed.items()))
        subtitle = Text(f"skipped {skipped} malformed ({detail}); last: {state.last_malformed}", style="red")
    else:
        subtitle = Text(f"{state.messages} messages read, none malformed", style="dim")
    for note in state.notes:
        subtitle.append(f" · {note}", style="yellow")
    return Panel(rates, title=Text(title), title_align="left", subtitle=subtitle, subtitle_align="left")


def _alerts_panel(state: ConsoleState, now: datetime, limit: int) -> Panel:
    """Priority, time, kind, plate and checkpoint stay at any width the console allows (60 columns and up);
    the summary is cut first, then ring, sightings, state and the alert id go (columns.fit)."""
    shown = state.top_alerts(max(0, limit))
    ids = [alert.alert_id for alert in shown]
    highlights = [HIGHLIGHTED_KINDS.get(alert.kind) for alert in shown]
    columns = [
        Column("P", [_priority(a.priority) for a in shown], essential=True),
        Column("time", [Text(_clock_text(state, a.when, now)) for a in shown], essential=True),
        Column(
            "kind",
            [
                Text(("! " if h else "") + a.kind, style=h or "")
                for a, h in zip(shown, highlights, strict=True)
            ],
            keep=6,
            essential=True,
            least=12,
            most=18,
        ),
        Column("state", [Text(a.state, style=STATE_STYLES.get(a.state, "")) for a in shown], keep=3),
        Column("plate", [Text(a.plate or "-") for a in shown], essential=True),
        Column(
            "checkpoint",
            [Text(a.checkpoint_id or "-") for a in shown],
            keep=4,
            essential=True,
            least=8,
            most=16,
        ),
        Column("ring", [Text(a.ring or "-") for a in shown], keep=1),
        Column("seen", [Text("" if a.seen is None else str(a.seen)) for a in shown], keep=2, right=True),
        Column("alert", [Text(i) for i in ids], keep=5, least=id_least(ids, state.alerts), id_prefix=True),
        Column("summary", [Text(a.summary) for a in shown], flexible=True, least=12),
    ]
    styles = ["dim" if alert.state == "rejected" else None for alert in shown]
    total = len(state.alerts)
    title = f"Alerts by priority, newest first ({len(shown)} of {total})"
    body: RenderableType = FittedTable(columns, styles) if shown else Text("no alerts in view", style="dim")
    return Panel(body, title=title, title_align="left", border_style="red" if state.urgent() else "")


def _incidents_panel(state: ConsoleState, now: datetime, limit: int | None = None) -> Panel:
    incidents = state.open_incidents()
    shown = incidents[: state.max_incidents if limit is None else max(1, limit)]
    caught = []
    for incident in shown:
        cell = Text(f"{_num(incident.captured)}/{_num(incident.suspects)}")
        if incident.armed:
            cell.append(" armed", style="red")
        caught.append(cell)
    open_for = [
        "?" if i.started_at is None else _duration((now - i.started_at).total_seconds()) for i in shown
    ]
    ids = [incident.incident_id for incident in shown]
    lockdown_ids = [incident.lockdown_id for incident in shown if incident.lockdown_id]
    columns = [
        Column(
            "incident",
            [Text(i) for i in ids],
            essential=True,
            least=id_least(ids, state.incidents),
            id_prefix=True,
        ),
        Column("P", [_priority(i.priority) for i in shown], essential=True),
        Column("category", [Text(i.category) for i in shown], essential=True, least=10, most=19, keep=7),
        Column("caught", caught, keep=5),
        Column("address", [Text(i.address or "-") for i in shown], keep=1, flexible=True, least=10),
        Column("calls", [Text(_num(i.calls)) for i in shown], keep=2, right=True),
        Column("reports", [Text(_num(i.attachments)) for i in shown], keep=0, right=True),
        Column("assigned", [Text(i.assigned_to or "-") for i in shown], keep=3, least=8, most=12),
        Column(
            "lockdown",
            [Text(i.lockdown_id or "-") for i in shown],
            keep=4,
            least=id_least(lockdown_ids, _lockdown_ids(state)),
            id_prefix=True,
        ),
        Column("open for", [Text(t) for t in open_for], keep=6, right=True),
    ]
    more = len(incidents) - len(shown)
    title = f"Open incidents ({len(incidents)})" + (f", {more} more not shown" if more > 0 else "")
    body: RenderableType = FittedTable(columns) if shown else Text("no open incidents", style="dim")
    return Panel(body, title=title, title_align="left")


def _lockdowns_panel(state: ConsoleState, now: datetime) -> Panel:
    active = state.active_lockdowns()
    lifted = sum(1 for v in state.lockdowns.values() if v.status != "active")
    about, raised = [], []
    for view in active:
        incident = state.incidents.get(view.incident_id or "")
        about.append(
            Text(view.incident_id or "?")
            if incident is None
            else Text(f"{incident.category} · {incident.address or incident.incident_id}")
        )
        since = "?"
        if view.raised_at is not None:
            since = f"{_duration((now - view.raised_at).total_seconds())} ago"
        elif view.first_seen is not None:  # raised before the console's window
            since = f">{_duration((now - view.first_seen).total_seconds())} ago"
        raised.append(Text(since))
    ids = [view.lockdown_id for view in active]
    columns = [
        Column(
            "lockdown",
            [Text(i) for i in ids],
            essential=True,
            least=id_least(ids, _lockdown_ids(state)),
            id_prefix=True,
        ),
        Column("incident", about, keep=2, flexible=True, least=12),
        Column("raised", raised, keep=3),
        Column("rings closed", [Text(" · ".join(ring_sorted(v.rings)) or "-") for v in active], keep=0),
        Column("ring: staffed/required points", [_progress(v) for v in active], essential=True),
        Column(
            "last event",
            [Text(f"{v.last_type} {_clock_text(state, v.last_at, now)}") for v in active],
            keep=1,
            most=25,
        ),
    ]
    title = f"Active lockdowns ({len(active)})" + (f", {lifted} lifted in view" if lifted else "")
    body: RenderableType = FittedTable(columns) if active else Text("no active lockdowns", style="dim")
    return Panel(body, title=title, title_align="left", border_style="bold red" if active else "")


def _lockdown_ids(state: ConsoleState) -> set[str]:
    """Every lockdown id the console knows: a prefix it shows must be unique among them all."""
    return set(state.lockdowns) | {i.lockdown_id for i in state.incidents.values() if i.lockdown_id}


def _priority(priority: int) -> Text:
    return Text(f"P{priority}", style=PRIORITY_STYLES.get(priority, ""))


def _progress(view: LockdownView) -> Text:
    """One line per ring of the lockdown: a bar of staffed / required points, and sealed or given up."""
    given_up = view.given_up
    out = Text()
    for n, ring in enumerate(ring_sorted([*view.required, *view.rings, *view.sealed])):
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
