"""The console's frame, drawn with rich from a ConsoleState: a header with input rates, alerts by priority,
active lockdowns with staffing bars per ring, open incidents. Message text is always a `Text`, never markup.
"""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.console import Console, Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from streams import topics
from streams.tools.console.records import LockdownView, ring_sorted
from streams.tools.console.state import RATE_TOPICS, ConsoleState
from streams.tools.targets import short_ids

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
    shown = state.top_alerts(max(0, limit))
    # The id as `citygate alert accept|reject` takes it: a prefix, long enough to tell it from the others.
    short = short_ids(state.alerts)
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_edge=False)
    table.add_column("id", width=max([11, *(len(short[a.alert_id]) for a in shown)]), no_wrap=True)
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
            Text(short.get(alert.alert_id, alert.alert_id)),
            Text(f"P{alert.priority}", style=PRIORITY_STYLES.get(alert.priority, "")),
            Text(_clock_text(state, alert.when, now)),
            Text(("! " if highlight else "") + alert.kind, style=highlight or ""),
            Text(alert.state, style=STATE_STYLES.get(alert.state, "")),
            Text(alert.plate or "-"),
            Text(alert.checkpoint_id or "-"),
            Text(alert.ring or "-"),
            Text("" if alert.seen is None else str(alert.seen)),
            Text(alert.summary),
            style="dim" if alert.state == "rejected" else None,
        )
    total = len(state.alerts)
    title = f"Alerts by priority, newest first ({len(shown)} of {total})"
    body: RenderableType = table if shown else Text("no alerts in view", style="dim")
    return Panel(body, title=title, title_align="left", border_style="red" if state.urgent() else "")


def _incidents_panel(state: ConsoleState, now: datetime, limit: int | None = None) -> Panel:
    incidents = state.open_incidents()
    shown = incidents[: state.max_incidents if limit is None else max(1, limit)]
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


def _lockdowns_panel(state: ConsoleState, now: datetime) -> Panel:
    active = state.active_lockdowns()
    lifted = sum(1 for v in state.lockdowns.values() if v.status != "active")
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_edge=False)
    table.add_column("lockdown", width=24, no_wrap=True)
    table.add_column("incident", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("raised", width=12, no_wrap=True)
    table.add_column("rings closed", width=19, no_wrap=True)
    table.add_column("ring: staffed/required points", width=31, no_wrap=True)
    table.add_column("last event", width=25, no_wrap=True, overflow="ellipsis")
    for view in active:
        incident = state.incidents.get(view.incident_id or "")
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
            Text(" · ".join(ring_sorted(view.rings)) or "-"),
            _progress(view),
            Text(f"{view.last_type} {_clock_text(state, view.last_at, now)}"),
        )
    title = f"Active lockdowns ({len(active)})" + (f", {lifted} lifted in view" if lifted else "")
    body: RenderableType = table if active else Text("no active lockdowns", style="dim")
    return Panel(body, title=title, title_align="left", border_style="bold red" if active else "")


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
