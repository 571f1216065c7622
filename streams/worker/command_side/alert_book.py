"""The alert book: the latest version of every alert, so an operator's decision applies to the alert as it
stands and survives a restart.

Fed by the alert topics themselves (the command side reads them back), held in a changelog-backed table on
the single-partition command side. Entries older than `alert_book_days` are swept out, which bounds it.
Every decision is audited.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from streams import codecs, topics
from streams.domain.audit import command_audit
from streams.domain.commands import OperatorCommand
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.reviews import review_alert
from streams.settings import Settings
from streams.worker.pipeline import InputMessage, Outgoing

SWEEP_EVERY = timedelta(hours=1)

# alert id → {"topic": logical topic of the alert, "alert": its latest message}
BookTable = MutableMapping[str, dict[str, Any]]


class AlertBook:
    def __init__(self, settings: Settings, book: BookTable) -> None:
        self.book = book
        self.keep = timedelta(days=settings.alert_book_days)
        self._last_sweep: datetime | None = None

    def record(self, topic: str, alert: dict[str, Any]) -> None:
        """Keep `alert` (read back from the logical alert topic `topic`) as its alert's latest version."""
        self.book[str(alert["alert_id"])] = {"topic": topic, "alert": alert}

    def review(self, command: OperatorCommand, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """An operator's accept or reject: the alert's next version, and the decision on `audit`."""
        booked = self.book.get(command.target_id)
        if booked is None:
            raise InvalidInput(
                "invalid_value", f"no alert {command.target_id} (unknown, or older than the book)"
            )
        reviewed = review_alert(booked["alert"], command, now=now)
        self.book[command.target_id] = {"topic": booked["topic"], "alert": reviewed}
        audit = command_audit(
            command,
            action=f"alert_{reviewed['state']}",
            source_topic=topics.OPERATOR_COMMANDS,
            source_partition=message.partition,
            source_offset=message.offset,
            after=reviewed["review"],  # type: ignore[arg-type]
            now=now,
        )
        key = command.target_id.encode()
        return (
            Outgoing(booked["topic"], key, codecs.encode(reviewed)),
            Outgoing(topics.AUDIT, key, codecs.encode(audit)),
        )

    def sweep(self, now: datetime) -> None:
        """Forget alerts older than the book keeps, at most once per SWEEP_EVERY (call inside an event, so
        the deletes reach the changelog)."""
        if self._last_sweep is not None and now - self._last_sweep < SWEEP_EVERY:
            return
        self._last_sweep = now
        horizon = now - self.keep
        stale = [
            alert_id
            for alert_id, booked in self.book.items()
            if datetime.fromisoformat(str(booked["alert"]["created_at"])) < horizon
        ]
        for alert_id in stale:
            del self.book[alert_id]
