"""The watchlist replica every worker keeps: the whole compacted `watchlist.entries`, in memory.

Not a Faust GlobalTable (those loop in recovery with several workers): a plain aiokafka consumer with no
group reads every partition from the beginning and keeps reading. `ready` is set once it has reached the end
offsets it saw at start, and hit processing waits for it, so no hit is matched against half a watchlist.

After that, `fresh_as_of` says up to when the replica is known complete: the time of the last fetch that
found it at the end of the topic. The hits consumer holds a batch whose hits reached Kafka after
`fresh_as_of` + the listing grace (streams/domain/matching/retro.py says why), so a hit is never matched
live against a list that may lack an entry listed before it arrived. Each entry keeps the broker time of
its listing (`WatchlistEntry.listed_at`).

With signatures required (`signed`), the replica also reads `operators.registry` and applies a record only
when its signer may make it (streams/worker/watchlist/signed_entries.py); `confirm` is asked by the hits
matcher before an entry alerts, and drops a forgery.

A large list (`replica_loader_min_records` and more) is read at start by helper processes, a share of the
partitions each (streams/worker/watchlist/loader.py): they decode and check, the replica applies what they
send once the registry is read, and reads each share itself from where its helper stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from mode import Service

from streams import codecs
from streams.aio.following import open_follower, until_done
from streams.codecs.messages import EntryMessage
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex
from streams.settings import Settings
from streams.topics import REGISTRY, WATCHLIST
from streams.worker.metrics import Metrics
from streams.worker.watchlist import loader as loading
from streams.worker.watchlist.loader import Loader, LoaderFailed, LoadJob
from streams.worker.watchlist.preparing import Prepared
from streams.worker.watchlist.retro_reader import Range
from streams.worker.watchlist.signed_entries import SignedEntries, Vouched

log = logging.getLogger(__name__)

GAUGES_EVERY_S = 1.0  # the watchlist size gauges, at most this often (not after every fetched batch)


class RawRecord(Protocol):
    """A record as read (aiokafka's, or a loading helper's `Prepared`)."""

    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...
    @property
    def timestamp(self) -> int | None: ...


class CatchUp:
    """Tracks whether a consumer has read up to the end offsets it saw when it started."""

    def __init__(self, end_offsets: Mapping[TopicPartition, int]) -> None:
        self.ends = dict(end_offsets)
        self._behind = {tp: end for tp, end in end_offsets.items() if end > 0}

    @property
    def done(self) -> bool:
        return not self._behind

    def behind_in(self, topic: str) -> bool:
        return any(tp.topic == topic for tp in self._behind)

    def advance(self, tp: TopicPartition, next_offset: int) -> None:
        """Record that everything before `next_offset` in `tp` has been applied."""
        end = self._behind.get(tp)
        if end is not None and next_offset >= end:
            del self._behind[tp]


class WatchlistReplica(Service):
    """Keeps `index` equal to the watchlist topic; `ready` once caught up."""

    def __init__(
        self,
        settings: Settings,
        index: WatchlistIndex,
        metrics: Metrics,
        signed: SignedEntries | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.index = index
        self.metrics = metrics
        self.signed = signed
        self.registry_topic = settings.topic(REGISTRY)
        self.ready = asyncio.Event()
        self.skipped_invalid = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._catch_up: CatchUp | None = None
        self._applied: dict[TopicPartition, int] = {}  # next offset to apply, per partition
        self.fresh_as_of: datetime | None = None
        self.bounds = settings.time_bounds()
        self._last_stamp: tuple[int | None, datetime | None] = (-1, None)
        self._published = 0.0
        self._fresher = asyncio.Event()
        self._started_at = time.monotonic()
        # Partitions a loading helper is reading (paused here), its tasks, and whether the registry is read
        # up to its end at start (a helper's entries are applied after that: their signers are known then).
        self._delegated: set[TopicPartition] = set()
        self._loaders: list[Loader] = []
        self._loader_tasks: list[asyncio.Task[None]] = []
        self._registry_read = asyncio.Event()

    async def _open(self) -> AIOKafkaConsumer:
        names = [WATCHLIST] if self.signed is None else [WATCHLIST, REGISTRY]
        consumer, tps = await open_follower(
            self.settings, names, client_id="watchlist-replica", from_beginning=True
        )
        try:
            self._catch_up = CatchUp(await consumer.end_offsets(tps))
            self._applied = {tp: await consumer.position(tp) for tp in tps}
        except BaseException:
            await consumer.stop()
            raise
        self._mark_ready_if_caught_up()
        return consumer

    async def on_stop(self) -> None:
        for loader in self._loaders:
            loader.kill()
        for task in self._loader_tasks:
            task.cancel()
        if self._consumer is not None:
            await self._consumer.stop()

    async def wait_ready(self) -> None:
        await self.ready.wait()

    @Service.task
    async def _follow(self) -> None:
        consumer = self._consumer = await until_done(self, "opening the watchlist replica", self._open)
        catch_up = self._catch_up
        if consumer is None or catch_up is None:
            return  # asked to stop before the cluster answered
        self._started_at = time.monotonic()
        await self._delegate(consumer, catch_up)
        # At start, entries wait for the registry to be read to its end: an entry whose signer's
        # registration is not read yet would be held, and an update held after it would replace it, losing
        # the time of its first listing (that the running workers keep).
        waiting = [
            tp for tp in self._applied if tp.topic != self.registry_topic and tp not in self._delegated
        ]
        if catch_up.behind_in(self.registry_topic):
            consumer.pause(*waiting)
        while not self.should_stop:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, records in batches.items():
                if tp.topic == self.registry_topic:
                    for record in records:
                        self._on_registry(record)
                else:
                    for record in records:
                        self._on_entry(record)
            # By position, not by the last record: a partition may end in offsets no record is read at
            # (a transaction's commit marker), and the end offsets count them.
            for tp in self._applied:
                if tp in self._delegated:
                    continue
                position = await consumer.position(tp)
                catch_up.advance(tp, position)
                self._applied[tp] = position
            if not self._registry_read.is_set() and not catch_up.behind_in(self.registry_topic):
                self._registry_read.set()
                consumer.resume(*waiting)
            if batches and time.monotonic() - self._published >= GAUGES_EVERY_S:
                self._publish_gauges()
            self._mark_ready_if_caught_up()
            self._note_freshness(consumer)

    async def _delegate(self, consumer: AIOKafkaConsumer, catch_up: CatchUp) -> None:
        """Hand the watchlist's partitions to loading helpers when the list is large (module docstring)."""
        count = loading.helpers_to_start(self.settings.replica_loaders)
        watchlist = self.settings.topic(WATCHLIST)
        ranges = [
            Range(tp.partition, self._applied[tp], end)
            for tp, end in sorted(catch_up.ends.items(), key=lambda item: item[0].partition)
            if tp.topic == watchlist and end > self._applied[tp]
        ]
        if count <= 0 or sum(r.end - r.start for r in ranges) < self.settings.replica_loader_min_records:
            return
        signed = self.signed is not None
        try:
            for helper in range(count):
                job = LoadJob(
                    self.settings, ranges, signed, helper, count, block_offsets=loading.BLOCK_OFFSETS
                )
                self._loaders.append(await Loader.start(job))
        except OSError as exc:
            log.warning("could not start the watchlist's loading helpers (%s); reading it here", exc)
            for started in self._loaders:
                started.kill()
            self._loaders = []
            return
        tps = [TopicPartition(watchlist, r.partition) for r in ranges]
        consumer.pause(*tps)
        self._delegated.update(tps)
        self._loader_tasks.append(asyncio.create_task(self._take_from(job, consumer)))

    async def _take_from(self, job: LoadJob, consumer: AIOKafkaConsumer) -> None:
        """Apply the helpers' blocks in offset order; read each partition here once its blocks are
        applied, or from the last block applied when a helper fails."""
        loaders, watchlist = self._loaders, self.settings.topic(WATCHLIST)
        applied = 0
        try:
            await self._registry_read.wait()
            for r in job.ranges:
                tp = TopicPartition(watchlist, r.partition)
                for block in range(job.blocks(r)):
                    chunk = await loaders[block % job.helpers].next_chunk()
                    if (chunk.partition, chunk.block) != (r.partition, block):
                        raise LoaderFailed(f"sent block {chunk.block} of {chunk.partition}, not {block}")
                    for prepared in chunk.records:
                        self._on_prepared(prepared)
                    applied += len(chunk.records)
                    self._applied[tp] = position = job.block_end(r, block)
                    if self._catch_up is not None:
                        self._catch_up.advance(tp, position)
                    self._mark_ready_if_caught_up()
                self._hand_back(consumer, [tp])
            for loader in loaders:
                await loader.finish()
            log.info(
                "%d loading helpers prepared %d records in %.1f s",
                len(loaders),
                applied,
                time.monotonic() - self._started_at,
            )
        except LoaderFailed as exc:
            log.warning("a loading helper of the watchlist %s; the worker reads the rest itself", exc)
        except Exception:  # a fault of ours: logged whole, and the worker still loads the list itself
            log.exception("applying the watchlist's loading helpers' blocks failed; reading the rest here")
        finally:
            for loader in loaders:
                loader.kill()
            self._hand_back(consumer, list(self._delegated))

    def _hand_back(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        """Read `tps` here again, from what the helpers' blocks applied."""
        if not self.should_stop:
            for tp in tps:
                consumer.seek(tp, self._applied[tp])
            consumer.resume(*tps)
        self._delegated.difference_update(tps)

    def _on_prepared(self, prepared: Prepared) -> None:
        """Apply a record a loading helper read: the gate and the index here, the rest done there."""
        ready = prepared.ready
        listed_at = self._listed_at(prepared.timestamp)
        if ready is None or (self.signed is not None and listed_at is None):
            self._on_entry(prepared)  # the long way, as if read here
            return
        if self.signed is None:
            self.index.upsert(ready.entry(listed_at, None, None))
            return
        assert listed_at is not None  # noqa: S101 (the long way took a record without)
        vouched = self.signed.vouch(prepared.key, prepared.value, (), listed_at, statement=ready.statement())
        if vouched is not None:
            self.index.upsert(ready.entry(listed_at, vouched.signer, vouched.proof))
        elif prepared.key in self.signed.held:
            self.metrics.watchlist_refused.labels("held").inc()
        else:
            self.metrics.watchlist_refused.labels("unsigned_or_refused").inc()

    def _on_entry(self, record: RawRecord) -> None:
        listed_at = self._listed_at(record.timestamp)
        # Decoded once, for the signature's checks and the entry's; a record that does not decode takes
        # the long way, so its verdict is the one it always had (its nonce spent if it is well signed).
        decoded = None
        if record.value is not None:
            with contextlib.suppress(InvalidInput):
                decoded = codecs.decode_entry(record.value, max_bytes=self.settings.max_message_bytes)
        if self.signed is None:
            self.apply(record.key, record.value, listed_at, decoded=decoded)
            return
        if listed_at is None:  # no broker time: nothing to judge the signature's freshness by
            self.metrics.watchlist_refused.labels("unsigned_or_refused").inc()
            return
        vouched = self.signed.vouch(record.key, record.value, record.headers, listed_at, decoded)
        if vouched is not None:
            self.apply(record.key, record.value, listed_at, vouched, decoded=decoded)
        elif record.key in self.signed.held:
            self.metrics.watchlist_refused.labels("held").inc()
        else:
            self.metrics.watchlist_refused.labels("unsigned_or_refused").inc()

    def _on_registry(self, record: ConsumerRecord[bytes, bytes]) -> None:
        arrived_at = codecs.broker_time(record.timestamp)
        if self.signed is None or arrived_at is None:
            return
        for held, vouched in self.signed.on_registry(record.key, record.value, arrived_at):
            self.apply(held.key, held.value, held.arrived_at, vouched)

    def apply(
        self,
        key: bytes | None,
        value: bytes | None,
        listed_at: datetime | None = None,
        vouched: Vouched | None = None,
        *,
        decoded: EntryMessage | None = None,
    ) -> None:
        """Apply one record: an entry upserts, a tombstone deletes; invalid records are skipped here
        (the `check_watchlist` agent dead-letters them once, not once per worker)."""
        if not codecs.apply_watchlist_record(
            self.index,
            key,
            value,
            max_bytes=self.settings.max_message_bytes,
            listed_at=listed_at,
            bounds=self.bounds,
            signer=None if vouched is None else vouched.signer,
            proof=None if vouched is None else vouched.proof,
            decoded=decoded,
        ):
            self.skipped_invalid += 1

    def confirm(self, entry: WatchlistEntry) -> bool:
        """Whether `entry` may alert: its signature holds (checked at its first match). A forgery is
        dropped from the index, counted and logged (once: it is gone), and makes no alert."""
        if self.signed is None or self.signed.confirm(entry):
            return True
        if self.index.get(entry.entry_id) == entry:  # not an update made since (the index unpacks a copy)
            self.index.remove(entry.entry_id)
        self.metrics.watchlist_refused.labels("forged").inc()
        log.warning(
            "watchlist entry %s dropped: its signature is not %s's (forged or altered)",
            entry.entry_id,
            entry.signer,
        )
        return False

    def _listed_at(self, timestamp_ms: int | None) -> datetime | None:
        """The record's broker time; records appended together share one object (a bulk import of a
        million entries has a few thousand distinct times)."""
        if timestamp_ms != self._last_stamp[0]:
            self._last_stamp = (timestamp_ms, codecs.broker_time(timestamp_ms))
        return self._last_stamp[1]

    def _note_freshness(self, consumer: AIOKafkaConsumer) -> None:
        """Advance `fresh_as_of` when every partition is applied up to the end its last fetch saw."""
        polled = []
        for tp, applied in self._applied.items():
            highwater, at_ms = consumer.highwater(tp), consumer.last_poll_timestamp(tp)
            if highwater is None or at_ms is None or applied < highwater:
                return
            polled.append(at_ms)
        if not polled or not self.ready.is_set():
            return
        moment = codecs.broker_time(min(polled))
        if moment is not None and (self.fresh_as_of is None or moment > self.fresh_as_of):
            self.fresh_as_of = moment
            self._fresher.set()
            self._fresher.clear()

    async def wait_fresh(self, moment: datetime) -> None:
        """Return once the replica is known complete as of `moment` (see `fresh_as_of`)."""
        while self.fresh_as_of is None or self.fresh_as_of < moment:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._fresher.wait(), timeout=1.0)

    def _mark_ready_if_caught_up(self) -> None:
        if not self.ready.is_set() and self._catch_up is not None and self._catch_up.done:
            self.ready.set()
            self.metrics.replica_ready.set(1)
            self._publish_gauges()
            log.info(
                "watchlist replica complete: %d entries (%d invalid skipped) in %.1f s%s",
                len(self.index),
                self.skipped_invalid,
                time.monotonic() - self._started_at,
                f", with {len(self._loaders)} loading helpers" if self._loaders else "",
            )

    def _publish_gauges(self) -> None:
        self._published = time.monotonic()
        for category, count in self.index.counts_by_category().items():
            self.metrics.watchlist_entries.labels(category).set(count)
