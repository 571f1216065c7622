"""Reads the last hours of `anpr.hits` back from Kafka for a retro-match (streams/domain/matching/retro.py).

The store is Kafka's own log, found by time (`offsets_for_times`), not an index kept in memory: it costs no
memory and survives restarts and rebalances, at the price of a scan per batch of new entries (figures in
the README). The scan reads in chunks and yields to the event loop between them, so the worker's live
matching goes on meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from streams import codecs
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.alerts import Alert, Ref
from streams.domain.matching.hits import parse_hit
from streams.domain.matching.retro import RetroMatcher
from streams.domain.matching.watchlist import WatchlistEntry
from streams.lag import starts_by_time
from streams.settings import Settings
from streams.topics import HITS
from streams.worker.followers import open_follower

log = logging.getLogger(__name__)


class RetroScanner:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.horizon = timedelta(hours=settings.retro_hours)
        self.policy = settings.match_policy()
        self.window = timedelta(seconds=settings.dedup_window_s)
        self.limits = settings.hit_limits()

    async def scan(self, entries: Sequence[WatchlistEntry], now: datetime) -> list[Alert]:
        """Retro-alerts for `entries` from the hits of the last `retro_hours` (up to the end at `now`)."""
        since = now - self.horizon
        matcher = RetroMatcher(entries, since=since, now=now, policy=self.policy, window=self.window)
        if not matcher or self.horizon <= timedelta(0):
            return []
        started = time.monotonic()
        consumer, tps = await open_follower(
            self.settings, [HITS], client_id="retro-scan", from_beginning=True
        )
        try:
            found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
            ends = await consumer.end_offsets(tps)
            starts = starts_by_time({tp: None if f is None else f.offset for tp, f in found.items()}, ends)
            remaining = {}
            for tp, start in starts.items():
                if start < ends[tp]:
                    consumer.seek(tp, start)
                    remaining[tp] = ends[tp]
                else:
                    consumer.pause(tp)
            while remaining:
                batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
                for tp, records in batches.items():
                    end = remaining.get(tp)
                    if end is None:
                        continue
                    for record in records:
                        if record.offset >= end:
                            break
                        try:
                            hit = parse_hit(
                                codecs.decode_object(record.value, max_bytes=self.settings.max_message_bytes),
                                now=now,
                                limits=self.limits,
                            )
                        except InvalidInput:
                            continue  # it was dead-lettered when it arrived
                        matcher.feed(hit, Ref(HITS, hit.hit_id, tp.partition, record.offset))
                    if records and records[-1].offset + 1 >= end:
                        del remaining[tp]
                        consumer.pause(tp)
                await asyncio.sleep(0)  # let live matching run between chunks
        finally:
            await consumer.stop()
        alerts = matcher.finish()
        log.info(
            "retro-match of %d entries over %s: %d hits read, %d sightings, %.1f s",
            len(entries),
            self.horizon,
            matcher.hits_seen,
            len(alerts),
            time.monotonic() - started,
        )
        return alerts
