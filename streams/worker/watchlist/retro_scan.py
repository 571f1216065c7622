"""Reads the last hours of `anpr.hits` back from Kafka for a retro-match (streams/domain/matching/retro.py).

The store is Kafka's own log, found by time (`offsets_for_times`), not an index kept in memory: it costs no
memory and survives restarts and rebalances, at the price of a scan per batch of new entries (figures in
bench/README.md). The scan reads in chunks and yields to the event loop between them, so the worker's live
matching goes on meanwhile.

The retro-match answers for every hit that reached Kafka before its entry's listing time + the listing
grace (live matching for the later ones), so the scan first waits for that moment to pass, then reads up
to the end offsets: every hit it must answer for is in the log by then.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from streams import codecs
from streams.aio.following import open_follower
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.alerts import Alert, Ref
from streams.domain.matching.retro import RetroMatcher
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex
from streams.lag import starts_by_time
from streams.settings import Settings
from streams.topics import HITS
from streams.worker.watchlist.retro_reader import Kept, Range, read_ranges, read_ranges_here, shares

log = logging.getLogger(__name__)

# Past the listing time + grace before the end offsets are taken: covers the clocks of the broker and this
# worker disagreeing by up to this much.
CLOCK_MARGIN = timedelta(seconds=1)
# Between attempts at a scan that failed (broker unreachable, a reader process gone): doubling up to the cap.
RETRY_FIRST_S = 1.0
RETRY_CAP_S = 30.0


class RetroScanner:
    def __init__(self, settings: Settings, index: WatchlistIndex | None = None) -> None:
        self.settings = settings
        self.index = index  # this worker's replica: where an update's first listing time is kept
        self.horizon = timedelta(hours=settings.retro_hours)
        self.policy = settings.match_policy()
        self.window = timedelta(seconds=settings.dedup_window_s)
        self.limits = settings.hit_limits()
        self.skew = timedelta(seconds=settings.max_clock_skew_s)
        self._pool: ProcessPoolExecutor | None = None

    async def scan_until_done(self, entries: Sequence[WatchlistEntry], now: datetime) -> list[Alert]:
        """`scan`, tried again until it succeeds: the batch of entries is acked only after its retro-match,
        and an exception escaping the agent would ack it without one (Faust skips the failed event). The
        scan is deterministic (same alert ids), so a repeat after a partial failure sends nothing new."""
        delay = RETRY_FIRST_S
        while True:
            try:
                return await self.scan(entries, now)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure is retried; the reason is logged
                self.close()  # a broken process pool is started afresh
                log.warning(
                    "retro-match of %d entries failed (%s: %s); trying again in %.0f s",
                    len(entries),
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_CAP_S)

    async def scan(self, entries: Sequence[WatchlistEntry], now: datetime) -> list[Alert]:
        """Retro-alerts for `entries` from the hits of the last `retro_hours` that reached Kafka before each
        entry's listing time + grace (waits for that moment to pass first)."""
        if self.horizon <= timedelta(0) or not entries:
            return []
        await self._wait_past(max((e.listed_at or now) for e in entries) + self.policy.listing_grace)
        entries = self._first_listings(entries)
        now = max(now, datetime.now(UTC))
        since = now - self.horizon
        matcher = RetroMatcher(entries, since=since, now=now, policy=self.policy, window=self.window)
        if not matcher:
            return []
        started = time.monotonic()
        ranges = await self._ranges(since)
        read, kept = await self._read(ranges, matcher.keys)
        matcher.hits_seen += read - len(kept)
        for record in sorted(kept, key=lambda k: (k.partition, k.offset)):
            self._feed(matcher, record, now)
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

    async def _ranges(self, since: datetime) -> list[Range]:
        """Where each partition's hits since `since` start, up to its end now."""
        consumer, tps = await open_follower(
            self.settings, [HITS], client_id="retro-range", from_beginning=True
        )
        try:
            # By broker time: a hit may reach Kafka up to the clock skew before its event time.
            target = int((since - self.skew).timestamp() * 1000)
            found = await consumer.offsets_for_times(dict.fromkeys(tps, target))
            ends = await consumer.end_offsets(tps)
        finally:
            await consumer.stop()
        starts = starts_by_time({tp: None if f is None else f.offset for tp, f in found.items()}, ends)
        return [Range(tp.partition, start, ends[tp]) for tp, start in starts.items() if start < ends[tp]]

    async def _read(self, ranges: list[Range], keys: frozenset[str]) -> tuple[int, list[Kept]]:
        """Read the ranges here, or in the pool's processes, a share each."""
        workers = self.settings.retro_scan_processes
        if workers <= 0 or len(ranges) < 2:
            return await read_ranges(self.settings, ranges, keys)
        loop = asyncio.get_running_loop()
        pool = self._processes()
        reads = [
            loop.run_in_executor(pool, read_ranges_here, self.settings, share, keys)
            for share in shares(ranges, workers)
        ]
        read, kept = 0, []
        for count, found in await asyncio.gather(*reads):
            read += count
            kept.extend(found)
        return read, kept

    def _processes(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Spawned, not forked: the worker runs an event loop and Kafka clients a fork would copy.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.settings.retro_scan_processes, mp_context=context, initializer=_ignore_interrupts
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _feed(self, matcher: RetroMatcher, record: Kept, now: datetime) -> None:
        try:
            hit = codecs.parse_hit(
                record.value,
                max_bytes=self.settings.max_message_bytes,
                now=now,
                limits=self.limits,
                arrived_at=codecs.broker_time(record.timestamp_ms),
            )
        except InvalidInput:
            return  # it was dead-lettered when it arrived
        matcher.feed(hit, Ref(HITS, hit.hit_id, record.partition, record.offset))

    def _first_listings(self, entries: Sequence[WatchlistEntry]) -> list[WatchlistEntry]:
        """Each entry with the listing time this worker's replica keeps (an update keeps the first one), so
        the retro-match and live matching split the hits at the same moment."""
        if self.index is None:
            return list(entries)
        found = [(entry, self.index.get(entry.entry_id)) for entry in entries]
        return [
            entry if current is None else replace(entry, listed_at=current.listed_at or entry.listed_at)
            for entry, current in found
        ]

    async def _wait_past(self, moment: datetime) -> None:
        delay = (moment + CLOCK_MARGIN - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


def _ignore_interrupts() -> None:
    """In a scan process: Ctrl-C reaches the whole process group, and stopping is the worker's to do (it
    shuts the pool down); a scan process interrupted mid-read would only print a traceback to the log."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
