"""Checks every watchlist record once (in the consumer group): dead-letters the invalid ones and writes an
audit record (who, when, why) for every valid change.

The replica on every worker applies valid entries itself (streams/worker/watchlist/replica.py); this agent
exists so that an invalid entry is reported, and a change audited, once, not once per worker. With
signatures required it verifies every record's signature too (the replica leaves an entry's to its first
match), so a forgery, an unsigned record or one by a role that may not is a dead letter and an audit
record, and the audited actor is the signer. A deletion is a tombstone with no
body: who deleted it and why travel in the `citygate-actor` and `citygate-reason` headers
(`citygate watchlist remove --by --reason` sets them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from streams import codecs, topics
from streams.codecs import ACTOR_HEADER, REASON_HEADER
from streams.domain.audit import audit_record
from streams.domain.identity.gate import NonceBook
from streams.domain.matching.watchlist import WatchlistEntry
from streams.settings import Settings
from streams.worker.pipeline import InputMessage, Outgoing, received
from streams.worker.watchlist.signed_entries import SignedEntries


class EntryChecker:
    def __init__(self, settings: Settings, signed: SignedEntries | None = None) -> None:
        """`signed`: the replica's registry, to check who stands behind each record (None when signatures
        are not required). The checker keeps its own nonce book: the replica records the nonces it applies."""
        self.max_bytes = settings.max_message_bytes
        self.bounds = settings.time_bounds()
        self.signed = signed
        self.nonces = NonceBook(settings.signature_policy())
        self._upserted: list[WatchlistEntry] = []

    def take_upserted(self) -> list[WatchlistEntry]:
        """The valid entries written since the last call (for the retro-match of a batch)."""
        upserted, self._upserted = self._upserted, []
        return upserted

    def __call__(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        headers = {name: value.decode("utf-8", "replace") for name, value in message.headers}
        changed_at = received(message, now)
        # An invalid entry is refused for what it is, once, before who signed it is asked.
        entry = None
        if message.value is not None:
            entry = codecs.parse_entry(
                codecs.decode_key(message.key),
                message.value,
                max_bytes=self.max_bytes,
                listed_at=changed_at,
                bounds=self.bounds,
            )
        signer: str | None = None
        if self.signed is not None:
            signer = self.signed.signer_of(
                message.key, message.value, message.headers, changed_at, nonces=self.nonces
            ).person_id
        if entry is None:
            entry_id = codecs.tombstone_key(message.key)
            action, actor, reason, after = (
                "watchlist_delete",
                signer or headers.get(ACTOR_HEADER, "unknown"),
                None,
                None,
            )
            reason = headers.get(REASON_HEADER)
        else:
            entry_id = entry.entry_id
            value = codecs.decode_object(message.value, max_bytes=self.max_bytes)
            self._upserted.append(entry)
            action, actor, reason, after = (
                "watchlist_upsert",
                signer or headers.get(ACTOR_HEADER, entry.added_by),
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
