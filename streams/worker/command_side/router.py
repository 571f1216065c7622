"""The command side: one partition, one worker, the consistent view. Alerts and operators' decisions on them
are handled here; calls, radio reports, lockdown commands and clock ticks go on to the incident desk
(streams/worker/command_side/incident_desk.py).

Operators accept or reject alerts; every decision is audited.

One partition, `concurrency=1`, a changelog-backed table of the latest version of every alert (the "alert
book", fed by the alert topics themselves), so a decision can be applied to the alert as it stands and
survives a restart. Entries older than `book_days` are swept out, which bounds the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from faust.types import Message, TopicT

from streams import codecs, topics
from streams.domain.commands import command_audit, parse_command, review_alert
from streams.domain.exceptions import InvalidInput
from streams.settings import Settings
from streams.worker.pipeline import Outgoing

SWEEP_EVERY = timedelta(hours=1)


class AlertReviewer:
    def __init__(self, settings: Settings, book: Any, outputs: dict[str, TopicT], lockdown_desk: Any) -> None:
        self.settings = settings
        self.lockdown_desk = lockdown_desk  # IncidentDesk: staff_point and lift_lockdown go there
        self.book = book  # faust Table: alert id → {"topic": logical topic, "alert": message}
        self.outputs = outputs
        self.keep = timedelta(days=settings.alert_book_days)
        self._last_sweep: datetime | None = None
        self._logical = {settings.topic(name): name for name in (topics.ALERTS, topics.ALERTS_RESTRICTED)}

    def __call__(self, message: Message, now: datetime) -> Sequence[Outgoing]:
        self._sweep(now)
        logical = self.lockdown_desk.logical(message.topic)
        if logical == topics.CALLS:
            return self.lockdown_desk.on_call(message, now)
        if logical == topics.PATROL_REPORTS:
            return self.lockdown_desk.on_report(message, now)
        if logical == topics.TICKS:
            return self.lockdown_desk.on_tick(now)
        alert_topic = self._logical.get(message.topic)
        if alert_topic is not None:
            alert = codecs.decode_object(message.value, max_bytes=self.settings.max_message_bytes)
            self.book[str(alert["alert_id"])] = {"topic": alert_topic, "alert": alert}
            # A live match of an incident's plate is a sighting for the incident desk.
            sighting = alert.get("kind") == "watchlist_match" and alert.get("state") in ("new", "updated")
            if (
                sighting
                and alert.get("state") == "new"
                and (alert.get("match") or {}).get("category") == "lookout"
            ):
                return self.lockdown_desk.on_lookout(alert, now)
            if sighting and alert.get("incident_id"):
                return self.lockdown_desk.on_alert_sighting(alert, now)
            return ()
        return self.apply_command(message, now)

    def apply_command(self, message: Message, now: datetime) -> Sequence[Outgoing]:
        command = parse_command(
            codecs.decode_key(message.key),
            codecs.decode_object(message.value, max_bytes=self.settings.max_message_bytes),
        )
        if not command.command.endswith("_hit"):
            return self.lockdown_desk.on_command(command, message, now)
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
            Outgoing(self.outputs[booked["topic"]], key, codecs.encode(reviewed)),
            Outgoing(self.outputs[topics.AUDIT], key, codecs.encode(audit)),
        )

    def _sweep(self, now: datetime) -> None:
        """Forget alerts older than the book keeps (runs inside an event, so deletes reach the changelog)."""
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
