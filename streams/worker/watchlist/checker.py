"""Checks every watchlist record once (in the consumer group): dead-letters the invalid ones and writes an
audit record (who, when, why) for every valid change.

The replica on every worker applies valid entries itself (streams/worker/watchlist/replica.py); this agent
exists so that an
invalid entry is reported, and a change audited, once, not once per worker. A deletion is a tombstone with no
body: who deleted it and why travel in the `citygate-actor` and `citygate-reason` headers
(`citygate watchlist remove --by --reason` sets them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from streams import codecs, topics
from streams.codecs import ACTOR_HEADER, REASON_HEADER
from streams.domain.audit import audit_record
from streams.domain.matching.watchlist import WatchlistEntry
from streams.settings import Settings
from streams.worker.pipeline import InputMessage, Outgoing, received


class EntryChecker:
    def __init__(self, settings: Settings) -> None:
        self.max_bytes = settings.max_message_bytes
        self.bounds = settings.time_bounds()
        self._upserted: list[WatchlistEntry] = []

    def take_upserted(self) -> list[WatchlistEntry]:
        """The valid entries written since the last call (for the retro-match of a batch)."""
        upserted, self._upserted = self._upserted, []
        return upserted

    def __call__(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        headers = {name: value.decode("utf-8", "replace") for name, value in message.headers}
        changed_at = received(message, now)
        if message.value is None:
            entry_id = codecs.tombstone_key(message.key)
            action, actor, reason, after = (
                "watchlist_delete",
                headers.get(ACTOR_HEADER, "unknown"),
                None,
                None,
            )
            reason = headers.get(REASON_HEADER)
        else:
            entry_id = codecs.decode_key(message.key) or ""
            listed_at = received(message, now)
            entry = codecs.parse_entry(
                entry_id, message.value, max_bytes=self.max_bytes, listed_at=listed_at, bounds=self.bounds
            )
            value = codecs.decode_object(message.value, max_bytes=self.max_bytes)
            self._upserted.append(entry)
            action, actor, reason, after = (
                "watchlist_upsert",
                headers.get(ACTOR_HEADER, entry.added_by),
                entry.reason,
                value,
            )
        audit = audit_record(
            action=action,
            subject=entry_id,
            actor=actor,
            at=changed_at,
            reason=reason,
            source_topic=topics.WATCHLIST,
            source_partition=message.partition,
            source_offset=message.offset,
            after=after,
            now=now,
        )
        return (Outgoing(topics.AUDIT, entry_id.encode(), codecs.encode(audit)),)
