"""The alert book: the latest version of every alert, so an operator's decision applies to the alert as it
stands and survives a restart.

Fed by the alert topics themselves (the command side reads them back), held in a changelog-backed table on
the single-partition command side. Entries older than `alert_book_days` are swept out, which bounds it.
Every decision is audited.

Memory: the book is the one thing a worker keeps per alert for days, on the worker holding the command
side and on its standby (Faust keeps a standby replica of every table), so what an entry costs is how
both workers' RSS grows. An entry keeps its alert as ASCII JSON text (one string, ~1.5x the record),
not the decoded message (~45 objects, ~3.5x the record: 5 KB for the schema's maximal example, and
long-lived objects that pin pymalloc pools among the hit path's short-lived ones). The decoded book was
most of the soak's +45 MB/h per worker at the design peak's 1.5 alerts a second (2026-12-01). A decision
decodes the one alert it applies to. Entries an older worker wrote (the decoded message) are still read.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from streams import codecs
from streams.domain.commands import OperatorCommand
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.reviews import review_alert
from streams.settings import Settings
from streams.worker.command_side.answers import audited
from streams.worker.pipeline import InputMessage, Outgoing

SWEEP_EVERY = timedelta(hours=1)

# alert id → {"topic": logical topic of the alert, "created_at": the alert's, "alert": its latest message as
# JSON text} (an older worker's entries hold the message itself and no "created_at")
BookTable = MutableMapping[str, dict[str, Any]]


def _entry(topic: str, alert: dict[str, Any]) -> dict[str, Any]:
    # ASCII (non-ASCII as \u escapes): CPython keeps an ASCII string at one byte a character, where a
    # place name in Chinese would make the whole string two or four.
    text = json.dumps(alert, ensure_ascii=True, separators=(",", ":"))
    return {"topic": topic, "created_at": str(alert["created_at"]), "alert": text}


def _message(booked: dict[str, Any]) -> dict[str, Any]:
    """The alert message of a book entry (JSON text, or the message itself in an older worker's entry)."""
    alert = booked["alert"]
    if isinstance(alert, str):
        decoded: dict[str, Any] = orjson.loads(alert)
        return decoded
    return dict(alert)


def _created_at(booked: dict[str, Any]) -> datetime:
    created = booked.get("created_at")
    if created is None:  # an older worker's entry
        created = booked["alert"]["created_at"]
    return datetime.fromisoformat(str(created))


class AlertBook:
    def __init__(self, settings: Settings, book: BookTable) -> None:
        self.book = book
        self.keep = timedelta(days=settings.alert_book_days)
        self._last_sweep: datetime | None = None

    def record(self, topic: str, alert: dict[str, Any]) -> None:
        """Keep `alert` (read back from the logical alert topic `topic`) as its alert's latest version."""
        self.book[str(alert["alert_id"])] = _entry(topic, alert)

    def latest(self, alert_id: str) -> dict[str, Any] | None:
        """The latest version of alert `alert_id` the book has, or None."""
        booked = self.book.get(alert_id)
        return None if booked is None else _message(booked)

    def review(self, command: OperatorCommand, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """An operator's accept or reject: the alert's next version, and the decision on `audit`."""
        booked = self.book.get(command.target_id)
        if booked is None:
            raise InvalidInput(
                "invalid_value", f"no alert {command.target_id} (unknown, or older than the book)"
            )
        reviewed = review_alert(_message(booked), command, now=now)
        self.book[command.target_id] = _entry(booked["topic"], reviewed)
        key = command.target_id.encode()
        return (
            Outgoing(booked["topic"], key, codecs.encode(reviewed)),
            audited(command, message, now, f"alert_{reviewed['state']}", reviewed["review"]),  # type: ignore[arg-type]
        )

    def sweep(self, now: datetime) -> None:
        """Forget alerts older than the book keeps, at most once per SWEEP_EVERY (call inside an event, so
        the deletes reach the changelog)."""
        if self._last_sweep is not None and now - self._last_sweep < SWEEP_EVERY:
            return
        self._last_sweep = now
        horizon = now - self.keep
        stale = [alert_id for alert_id, booked in self.book.items() if _created_at(booked) < horizon]
        for alert_id in stale:
            del self.book[alert_id]
