"""The sensor side's consumer: `anpr.hits` read in batches by a plain aiokafka consumer group.

Why not a Faust agent: the benchmark (bench/, README) measured Faust's per-event path (fetcher, conductor,
event, stream, several tasks and loop turns per message) at about 110 µs per hit against 25 µs for a plain
`getmany` loop doing the same domain work. Hits are stateless per message and need none of Faust's tables,
so this side uses the plain loop and the command side stays in Faust, where its tables and ordering pay.

Guarantees (at-least-once, as everywhere in citygate):
- A batch's alerts and dead letters are handed to the worker's producer (the Faust app's). Before offsets are
  committed the producer is flushed, so no offset is committed whose outputs are not in Kafka. Alert ids are
  deterministic, so a batch processed twice after a crash gives the same ids.
- Commits happen at most every `hits_commit_interval_s`, and always on revocation and on stop.
- A rebalance waits for the batch in hand (a lock held from processing to commit); records of partitions
  revoked in between are dropped unprocessed, and their new owner reads them from the committed offset.
- The consumer joins the group only once the watchlist replica has caught up, so a worker that cannot match
  yet holds no partitions and no hit is matched against half a watchlist.

The consumer group is `<app id>-hits`, separate from Faust's group (`<app id>`) for the command side.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from mode import Service

from streams import topics
from streams.health import LagMap, consumer_lag
from streams.settings import Settings

log = logging.getLogger(__name__)

RETRY_S = 1.0  # pause before a failed batch is read again


class InputRecord:
    """A consumed message as the handlers see it (Faust's `Message` shape: timestamp in seconds)."""

    __slots__ = ("topic", "partition", "offset", "timestamp", "key", "value")

    def __init__(
        self,
        topic: str,
        partition: int,
        offset: int,
        timestamp: float | None,
        key: bytes | None,
        value: bytes | None,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value

    @classmethod
    def from_kafka(cls, record: Any) -> InputRecord:
        """From an aiokafka `ConsumerRecord` (timestamp in ms, -1 or None when the producer set none)."""
        stamp = record.timestamp
        return cls(
            record.topic,
            record.partition,
            record.offset,
            stamp / 1000.0 if stamp is not None and stamp >= 0 else None,
            record.key,
            record.value,
        )


class OffsetLedger:
    """Where this worker stands on each `anpr.hits` partition it holds: processed, committed, end.

    Kept by the consumer loop, read by /metrics (lag) and checkpoint health (which partitions are ours).
    Pure bookkeeping with no I/O, so it is unit-tested on its own.
    """

    def __init__(self) -> None:
        self.rebalancing = True  # nothing held until the first assignment
        self._committed: dict[int, int | None] = {}
        self._processed: dict[int, int] = {}  # next offset after the last handled record, not yet committed
        self._highwater: dict[int, int | None] = {}

    def assigned(self, committed: Mapping[int, int | None]) -> None:
        """Partitions newly assigned, with the group's committed offset of each (None: never committed)."""
        self._committed.update(committed)
        for partition in committed:
            self._highwater.setdefault(partition, None)
        self.rebalancing = False

    def revoked(self, partitions: Collection[int]) -> None:
        self.rebalancing = True
        for partition in partitions:
            self._committed.pop(partition, None)
            self._processed.pop(partition, None)
            self._highwater.pop(partition, None)

    def holds(self, partition: int) -> bool:
        return partition in self._committed

    def partitions(self) -> set[int] | None:
        """Partitions held; None during a rebalance (unknown until it ends)."""
        return None if self.rebalancing else set(self._committed)

    def handled(self, partition: int, next_offset: int, highwater: int | None) -> None:
        self._processed[partition] = next_offset
        if highwater is not None:
            self._highwater[partition] = highwater

    def seen_end(self, partition: int, highwater: int | None) -> None:
        if highwater is not None and partition in self._highwater:
            self._highwater[partition] = highwater

    def pending(self) -> dict[int, int]:
        """Offsets handled but not committed yet: what the next commit should write."""
        return dict(self._processed)

    def committed(self, offsets: Mapping[int, int]) -> None:
        for partition, offset in offsets.items():
            if partition in self._committed:
                self._committed[partition] = offset
            if self._processed.get(partition) == offset:
                del self._processed[partition]

    def lags(self) -> LagMap:
        """End offset − committed offset per held partition, as `consumer_lag` defines it."""
        ends = {(topics.HITS, p): end for p, end in self._highwater.items()}
        committed = {(topics.HITS, p): offset for p, offset in self._committed.items()}
        return consumer_lag(ends, committed)


Process = Callable[[Sequence[InputRecord]], Awaitable[None]]


class HitsConsumer(Service):
    """Consumes `anpr.hits` for this worker's share of partitions; `process` handles each batch."""

    def __init__(
        self,
        settings: Settings,
        *,
        process: Process,
        flush_outputs: Callable[[], Awaitable[None]],
        wait_ready: Callable[[], Awaitable[None]],
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.process = process
        self.flush_outputs = flush_outputs
        self.wait_ready = wait_ready
        self.ledger = OffsetLedger()
        self.topic = settings.topic(topics.HITS)
        self._consumer: AIOKafkaConsumer | None = None
        self._batch_lock = asyncio.Lock()  # held from processing a batch to committing it
        self._last_commit = time.monotonic()
        self._finished = asyncio.Event()

    def open_consumer(self) -> AIOKafkaConsumer:
        settings = self.settings
        return AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=settings.hits_group,
            client_id=f"{settings.app_id}-hits",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(settings.session_timeout_s * 1000),
            heartbeat_interval_ms=int(min(3.0, settings.session_timeout_s / 3) * 1000),
            max_poll_records=settings.hits_batch_max,
        )

    async def on_stop(self) -> None:
        # The loop sees `should_stop` within one poll, commits what it handled and closes the consumer.
        try:
            await asyncio.wait_for(self._finished.wait(), timeout=15.0)
        except TimeoutError:
            log.warning("hits consumer did not stop in time; uncommitted hits will be read again")

    @Service.task
    async def _consume_until_stopped(self) -> None:
        await self.consume()

    async def consume(self) -> None:
        """Wait for the replica, join the group, handle batches until the service stops."""
        try:
            await self._wait_ready_or_stop()
            if self.should_stop:
                return
            consumer = self._consumer = self.open_consumer()
            consumer.subscribe([self.topic], listener=_Rebalance(self, consumer))
            await consumer.start()
            log.info("hits consumer joined group %s", self.settings.hits_group)
            try:
                while not self.should_stop:
                    batches = await consumer.getmany(timeout_ms=200, max_records=self.settings.hits_batch_max)
                    await self._handle(consumer, batches)
            finally:
                async with self._batch_lock:
                    await self._commit(consumer)
                await consumer.stop()
        finally:
            self._finished.set()

    async def _wait_ready_or_stop(self) -> None:
        ready = asyncio.ensure_future(self.wait_ready())
        stopping = asyncio.ensure_future(self.wait_for_stopped())
        try:
            await asyncio.wait({ready, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in (ready, stopping):
                if not future.done():
                    future.cancel()

    async def _handle(self, consumer: AIOKafkaConsumer, batches: Mapping[TopicPartition, list[Any]]) -> None:
        async with self._batch_lock:
            ledger = self.ledger
            records: list[InputRecord] = []
            spans: dict[TopicPartition, tuple[int, int]] = {}  # first offset, next offset
            for tp, fetched in batches.items():
                # Revoked since the fetch: leave them to their new owner, from its committed offset.
                if not fetched or not ledger.holds(tp.partition):
                    continue
                records.extend(InputRecord.from_kafka(r) for r in fetched)
                spans[tp] = (fetched[0].offset, fetched[-1].offset + 1)
            if records:
                try:
                    await self.process(records)
                except Exception:
                    # Per-message errors are dead letters already (Pipeline); this is the batch failing as a
                    # whole (the producer refusing a send). Read it again rather than commit past it.
                    log.exception(
                        "hits batch of %d failed; reading it again in %.0f s", len(records), RETRY_S
                    )
                    for tp, (first, _) in spans.items():
                        consumer.seek(tp, first)
                    await asyncio.sleep(RETRY_S)
                    return
                for tp, (_, next_offset) in spans.items():
                    ledger.handled(tp.partition, next_offset, consumer.highwater(tp))
            else:  # idle: still learn the end offsets, so lag shows for partitions with nothing to read
                for tp in consumer.assignment():
                    ledger.seen_end(tp.partition, consumer.highwater(tp))
            if time.monotonic() - self._last_commit >= self.settings.hits_commit_interval_s:
                await self._commit(consumer)

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        """Flush the outputs, then commit what was handled. Call with the batch lock held."""
        self._last_commit = time.monotonic()
        pending = self.ledger.pending()
        if not pending:
            return
        try:
            await self.flush_outputs()
            await consumer.commit({TopicPartition(self.topic, p): offset for p, offset in pending.items()})
        except (CommitFailedError, KafkaError) as exc:
            # Not fatal: another worker may own these partitions now and will read them again (same ids).
            log.warning("hits commit failed (%s); those hits will be read again", type(exc).__name__)
            return
        self.ledger.committed(pending)

    async def on_revoked(self, consumer: AIOKafkaConsumer, revoked: Collection[TopicPartition]) -> None:
        async with self._batch_lock:  # waits for the batch in hand, then commits it while still ours
            await self._commit(consumer)
            self.ledger.revoked([tp.partition for tp in revoked if tp.topic == self.topic])

    async def on_assigned(self, consumer: AIOKafkaConsumer, assigned: Collection[TopicPartition]) -> None:
        committed: dict[int, int | None] = {}
        for tp in assigned:
            if tp.topic != self.topic:
                continue
            try:
                committed[tp.partition] = await consumer.committed(tp)
            except KafkaError:
                committed[tp.partition] = None  # lag shows an upper bound until the first commit
        self.ledger.assigned(committed)
        log.info("hits partitions assigned: %s", sorted(committed))


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: HitsConsumer, consumer: AIOKafkaConsumer) -> None:
        self.owner = owner
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        await self.owner.on_revoked(self.consumer, revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        await self.owner.on_assigned(self.consumer, assigned)
