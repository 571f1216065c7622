"""Checks every watchlist record once (in the consumer group) and dead-letters the invalid ones.

The replica on every worker applies valid entries itself (streams/replica.py); this agent exists so an
invalid entry is reported once, not once per worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from faust.types import Message

from streams import codecs
from streams.agents.pipeline import Outgoing
from streams.domain.watchlist import parse_entry
from streams.settings import Settings


class EntryChecker:
    def __init__(self, settings: Settings) -> None:
        self.max_bytes = settings.max_message_bytes

    def __call__(self, message: Message, now: datetime) -> Sequence[Outgoing]:
        if message.value is None:  # a tombstone: deleting an entry is always valid
            return ()
        parse_entry(
            codecs.decode_key(message.key), codecs.decode_object(message.value, max_bytes=self.max_bytes)
        )
        return ()
