"""The sensor side's consumer: `anpr.hits` read in batches by a plain aiokafka consumer group.

Why not a Faust agent: the benchmark (bench/, README) measured Faust's per-event path (fetcher, conductor,
event, stream, several tasks and loop turns per message) at about 110 µs per hit against 25 µs for a plain
`getmany` loop doing the same domain work. Hits are stateless per message and need none of Faust's tables,
so this side uses the plain loop and the command side stays in Faust, where its tables and ordering pay.

Guarantees (at-least-once, as everywhere in citygate):
- A batch's alerts and dead letters are handed to the worker's producer (the Faust app's) without waiting.
  Before offsets are committed, `Delivery.confirm` flushes the producer and checks every send's outcome:
  aiokafka's flush does not raise when a batch failed, only the send's future says so. Failed records are
  sent again; one that still fails after a few tries stops the worker (its input is not committed and is
  read again after the restart), because a worker that cannot deliver alerts must not look healthy.
- Alert ids are deterministic, so hits handled twice after a crash give the same ids.
- Commits happen at most every `hits_commit_interval_s`, and always on revocation and on a clean stop.
- A rebalance waits for the batch in hand (a lock held from handling to commit), and records of partitions
  revoked in between are dropped unhandled: their new owner reads them from the committed offset.
- The consumer joins the group only once the watchlist replica has caught up, so a worker that cannot match
  yet holds no partitions and no hit is matched against half a watchlist.
- A bug that escapes the per-message dead-letter net (Pipeline) stops the worker rather than skipping the
  batch: loud, and nothing is committed past it.

The consumer group is `<app id>-hits`, separate from Faust's group (`<app id>`) for the command side.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from mode import Service

from streams import topics
from streams.settings import Settings
from streams.worker.kafka_internals import settled_position
from streams.worker.pipeline import InputMessage, Outgoing, Send
from streams.worker.sensor.delivery import Delivery, DeliveryFailed
from streams.worker.sensor.ledger import OffsetLedger

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 20.0
FINAL_COMMIT_TIMEOUT_S = 8.0


Handle = Callable[[Sequence[InputMessage]], Sequence[Outgoing]]


class ReplicaFreshness(Protocol):
    """Up to when the watchlist replica is known complete (streams/worker/watchlist/replica.py)."""

    @property
    def fresh_as_of(self) -> datetime | None: ...
    async def wait_fresh(self, moment: datetime) -> None: ...


class HitsConsumer(Service):
    """Consumes `anpr.hits` for this worker's share of partitions; `handle` turns a batch into outputs."""

    def __init__(
        self,
        settings: Settings,
        *,
        handle: Handle,
        send: Send,
        flush: Callable[[], Awaitable[None]],
        wait_ready: Callable[[], Awaitable[None]],
        replica_fresh: ReplicaFreshness | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.handle = handle
        self.delivery = Delivery(send, flush)
        self.wait_ready = wait_ready
        self.replica_fresh = replica_fresh
        self.grace_ms = int(settings.listing_grace_s * 1000)
        self.ledger = OffsetLedger()
        self.topic = settings.topic(topics.HITS)
        self._consumer: AIOKafkaConsumer | None = None
        self._batch_lock = asyncio.Lock()  # held from handling a batch to committing it
        self._last_commit = time.monotonic()
        self._failure: BaseException | None = None  # from a rebalance callback, raised by the loop
        self._finished = asyncio.Event()

    def open_consumer(self) -> AIOKafkaConsumer:
        settings = self.settings
        return AIOKafkaConsumer(
            **settings.connection().client_kwargs(),
            group_id=settings.hits_group,
            client_id=f"{settings.app_id}-hits",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(settings.session_timeout_s * 1000),
            heartbeat_interval_ms=int(settings.heartbeat_interval_s * 1000),
            max_poll_records=settings.hits_batch_max,
        )

    async def on_stop(self) -> None:
        # The loop sees `should_stop` within one poll, commits what was delivered and leaves the group.
        try:
            await asyncio.wait_for(self._finished.wait(), timeout=STOP_TIMEOUT_S)
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
                    if self._failure is not None:
                        raise self._failure
                    batches = await consumer.getmany(timeout_ms=200, max_records=self.settings.hits_batch_max)
                    await self._handle(consumer, batches)
                async with self._batch_lock:  # a clean stop: commit what was delivered
                    try:
                        await asyncio.wait_for(self._commit(consumer), timeout=FINAL_COMMIT_TIMEOUT_S)
                    except TimeoutError:  # nothing committed: the next owner reads those hits again
                        log.warning("final commit did not finish in %.0f s", FINAL_COMMIT_TIMEOUT_S)
            finally:
                try:  # leave the group at once, so the others take the partitions without a session timeout
                    await asyncio.wait_for(consumer.stop(), timeout=FINAL_COMMIT_TIMEOUT_S)
                except TimeoutError:
                    log.warning("hits consumer did not leave its group in time")
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
        if ready.done() and not ready.cancelled():
            ready.result()  # a replica that failed must not let the consumer join

    async def _wait_for_the_watchlist(self, batches: Mapping[TopicPartition, list[Any]]) -> None:
        """Hold the batch until the replica is known complete as of its last hit's arrival − the listing
        grace: an entry listed before then answers for that hit live, so it must be in the replica."""
        fresh = self.replica_fresh
        latest = max((r[-1].timestamp for r in batches.values() if r), default=-1)
        if fresh is None or latest < 0:
            return
        needed = datetime.fromtimestamp((latest - self.grace_ms) / 1000, UTC)
        known = fresh.fresh_as_of
        if known is not None and known >= needed:
            return
        started = time.monotonic()
        while True:
            try:
                await asyncio.wait_for(fresh.wait_fresh(needed), timeout=10.0)
                return
            except TimeoutError:
                log.warning(
                    "hits wait for the watchlist replica: not known complete for %.0f s",
                    time.monotonic() - started,
                )

    async def _handle(self, consumer: AIOKafkaConsumer, batches: Mapping[TopicPartition, list[Any]]) -> None:
        if batches:
            await self._wait_for_the_watchlist(batches)
        async with self._batch_lock:
            ledger = self.ledger
            assigned = consumer.assignment()
            records: list[InputMessage] = []
            ends: dict[int, int] = {}
            for tp, fetched in batches.items():
                # Revoked since the fetch: leave them to their new owner, from its committed offset.
                if not fetched or tp not in assigned:
                    continue
                records.extend(fetched)  # aiokafka's records are what handlers read: no copy
                ends[tp.partition] = fetched[-1].offset + 1
            if records:
                await self.delivery.send(self.handle(records))
                for partition, next_offset in ends.items():
                    ledger.handled(partition, next_offset)
            for tp in assigned:
                position = settled_position(consumer, tp)
                if position is not None:
                    ledger.moved_to(tp.partition, position)
                ledger.seen_end(tp.partition, consumer.highwater(tp))
            if time.monotonic() - self._last_commit >= self.settings.hits_commit_interval_s:
                await self._commit(consumer)

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        """Confirm the outputs are in Kafka, then commit what was handled. Call with the batch lock held."""
        self._last_commit = time.monotonic()
        assigned = consumer.assignment()
        pending = {
            p: o for p, o in self.ledger.pending().items() if TopicPartition(self.topic, p) in assigned
        }
        if not pending and not len(self.delivery):
            return
        await self.delivery.confirm()  # raises DeliveryFailed: nothing is committed past undelivered outputs
        if not pending:
            return
        try:
            await consumer.commit({TopicPartition(self.topic, p): offset for p, offset in pending.items()})
        except KafkaError as exc:  # CommitFailedError included
            # Not fatal: another worker may own these partitions now and will read them again (same ids).
            log.warning("hits commit failed (%s); those hits will be read again", type(exc).__name__)
            return
        self.ledger.committed(pending)

    async def on_revoked(self, consumer: AIOKafkaConsumer, revoked: Collection[TopicPartition]) -> None:
        async with self._batch_lock:  # waits for the batch in hand, then commits it while still ours
            try:
                await self._commit(consumer)
            except DeliveryFailed as exc:
                self._failure = exc  # aiokafka would only log it: the loop raises it
            except Exception:  # noqa: BLE001 - the partitions go anyway; their new owner re-reads them
                log.exception("commit on revocation failed")
            finally:
                self.ledger.revoked([tp.partition for tp in revoked if tp.topic == self.topic])

    async def on_assigned(self, consumer: AIOKafkaConsumer, assigned: Collection[TopicPartition]) -> None:
        mine = sorted((tp for tp in assigned if tp.topic == self.topic), key=lambda tp: tp.partition)
        self.ledger.assigned([tp.partition for tp in mine])  # before any await: records may already come
        log.info("hits partitions assigned: %s", [tp.partition for tp in mine])
        try:
            offsets = dict(
                zip(mine, await asyncio.gather(*(consumer.committed(tp) for tp in mine)), strict=True)
            )
            # Never committed: the group starts at the log's start (auto_offset_reset earliest), so lag counts
            # from there, not from offset 0 (which retention may have deleted long ago).
            fresh = [tp for tp, offset in offsets.items() if offset is None]
            if fresh:
                offsets.update(await consumer.beginning_offsets(fresh))
        except KafkaError:
            return  # lag shows an upper bound until the first commit
        self.ledger.learn_committed({tp.partition: offset for tp, offset in offsets.items()})


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: HitsConsumer, consumer: AIOKafkaConsumer) -> None:
        self.owner = owner
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        await self.owner.on_revoked(self.consumer, revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        await self.owner.on_assigned(self.consumer, assigned)
