"""One readable line per message, for `citygate tail` (operators read these on a terminal)."""

from __future__ import annotations

import orjson

from streams import topics

# The topics `citygate tail` follows: the ones render_line knows how to show.
TOPICS = (topics.ALERTS, topics.ALERTS_RESTRICTED, topics.DEADLETTER, topics.AUDIT)


def render_line(topic: str, value: bytes) -> str:
    """One message of `topic` (one of TOPICS; alerts.restricted reads as alerts) as one line."""
    try:
        msg = orjson.loads(value)
    except orjson.JSONDecodeError:
        return f"(undecodable {len(value)} bytes)"
    if not isinstance(msg, dict):
        return f"(not an object: {value[:60]!r})"
    if topic == topics.DEADLETTER:
        source, reason = msg.get("source") or {}, msg.get("reason") or {}
        return (
            f"{msg.get('dead_lettered_at', '?')[:19]}  {source.get('topic')}[{source.get('partition')}]"
            f"@{source.get('offset')}  {reason.get('code')}: {reason.get('detail')}"
        )
    if topic == topics.AUDIT:
        return (
            f"{str(msg.get('at', '?'))[:19]}  {msg.get('action')}  {msg.get('subject')}"
            f"  by {msg.get('actor')}  {msg.get('reason') or ''}"
        )
    match = msg.get("match") or {}
    summary = msg.get("summary") or {}
    when = str(msg.get("event_time", "?"))[:19].replace("T", " ")
    parts = [
        when,
        f"P{msg.get('priority', '?')}",
        f"{msg.get('kind', '?'):<16}",
        f"{msg.get('plate') or '-':<10}",
        f"@{msg.get('checkpoint_id') or '-'}",
        f"L{msg.get('lane')}" if msg.get("lane") else "",
        msg.get("direction") or "",
        f"{match.get('category', '')}/{match.get('match_type', '')}" if match else "",
        f"[{msg.get('state', '?')}]",
        str(summary.get("zh", "")),
        str(msg.get("alert_id", "")),
    ]
    return "  ".join(p for p in parts if p)
