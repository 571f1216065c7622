"""One alert in full (`citygate console --alert ID`): what the list has no room for, so an operator can
decide without reading the raw JSON: its whole id, the watchlist entry that matched and why it is listed,
the suggested actions, the sightings it groups, the inputs it was made from (refs), a decision taken, and
the commands that act on it.

Read from the alert as citygate wrote it, leniently as the list is (records.py): a field that is missing
or of an unexpected shape shows as '-' or as compact JSON, and message text is never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

import orjson
from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from streams.tools.console.records import AlertRow


def alert_detail(alert: AlertRow, tz: tzinfo) -> RenderableType:
    """The panel of one alert; times in `tz` (the city's zone)."""
    message = alert.message
    match = _mapping(message.get("match"))
    rows: list[tuple[str, str]] = [
        ("alert", alert.alert_id),
        ("kind", f"{alert.kind}  P{alert.priority}  {alert.state}"),
        ("plate", _joined(alert.plate or "-", _seen_as(message, alert.plate))),
        ("where", _where(message)),
        ("when", _when(message, tz)),
        ("incident", _text(message.get("incident_id"))),
    ]
    if match:
        rows += [
            ("entry", _joined(_text(match.get("entry_id")), _text(match.get("category")))),
            ("listed by", _text(match.get("source_agency"))),
            ("reason", _text(match.get("reason"))),
            ("instructions", _text(match.get("instructions"))),
            ("matched", _matched(match)),
        ]
    rows += [
        ("summary", alert.summary or "-"),
        ("actions", ", ".join(_text(a) for a in _items(message.get("actions"))) or "-"),
        ("sightings", _sightings(message.get("sightings"), tz)),
    ]
    for name in ("intercept", "dispatch"):
        if message.get(name) is not None:
            rows.append((name, _compact(message.get(name))))
    rows.append(("review", _review(message.get("review"), tz)))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    refs = Table(
        title="made from (refs)", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    for header in ("topic", "id", "partition", "offset"):
        refs.add_column(header, overflow="fold")
    for ref in _items(message.get("refs")):
        fields = _mapping(ref)
        refs.add_row(*(Text(_text(fields.get(k))) for k in ("topic", "id", "partition", "offset")))
    acts = Text(
        f"citygate alert accept {alert.alert_id} --by YOU [--reason …]\n"
        f"citygate alert reject {alert.alert_id} --by YOU --reason …",
        style="dim",
    )
    return Panel(
        Group(table, Text(""), refs, Text(""), acts), title=f"Alert {alert.alert_id}", title_align="left"
    )


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str:
    """A field as one line: text as it is, anything else as compact JSON, absent as '-'."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        return " ".join(value.split())
    return _compact(value)


def _compact(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def _joined(*parts: str) -> str:
    return "  ".join(part for part in parts if part and part != "-") or "-"


def _seen_as(message: Mapping[str, object], plate: str | None) -> str:
    raw = message.get("plate_raw")
    return f"(read as {_text(raw)})" if isinstance(raw, str) and raw and raw != plate else ""


def _where(message: Mapping[str, object]) -> str:
    lane, direction = message.get("lane"), message.get("direction")
    return _joined(
        _text(message.get("checkpoint_id")),
        f"lane {lane}" if isinstance(lane, int) else "",
        direction if isinstance(direction, str) else "",
        f"ring {message['ring']}" if isinstance(message.get("ring"), str) else "",
    )


def _time(value: object, tz: tzinfo) -> str:
    """An RFC 3339 time in the city's zone, or the text as written when it is none."""
    if not isinstance(value, str):
        return "-"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _text(value)
    if moment.tzinfo is None or not 1900 <= moment.year <= 9000:
        return _text(value)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %z")


def _when(message: Mapping[str, object], tz: tzinfo) -> str:
    return _joined(
        f"happened {_time(message.get('event_time'), tz)}" if message.get("event_time") else "",
        f"raised {_time(message.get('created_at'), tz)}" if message.get("created_at") else "",
    )


def _matched(match: Mapping[str, object]) -> str:
    differences = [_text(d) for d in _items(match.get("differences"))]
    return _joined(
        _text(match.get("match_type")),
        f"listed as {_text(match.get('listed_plate'))}",
        f"read {_text(match.get('matched_text'))}",
        f"differs in {', '.join(differences)}" if differences else "",
    )


def _sightings(value: object, tz: tzinfo) -> str:
    sightings = _mapping(value)
    if not sightings:
        return "-"
    lanes: Iterable[object] = _items(sightings.get("lanes"))
    return _joined(
        f"{_text(sightings.get('count'))} reads",
        f"first {_time(sightings.get('first_seen'), tz)}",
        f"last {_time(sightings.get('last_seen'), tz)}",
        f"lanes {', '.join(_text(lane) for lane in lanes)}" if lanes else "",
    )


def _review(value: object, tz: tzinfo) -> str:
    review = _mapping(value)
    if not review:
        return "none yet"
    return _joined(
        _text(review.get("decision")),
        f"by {_text(review.get('operator_id'))}",
        f"at {_time(review.get('at'), tz)}",
        _text(review.get("reason_code")),
        _text(review.get("note")),
    )
