"""Records to Kafka, answered only once the brokers have them: what lets a camera keep a read until then.

`Publisher.publish` sends a post's records from one idempotent producer (acks=all) and waits up to the ack
timeout; the caller answers 2xx only when every record was acknowledged, 503 when not (the camera keeps the
read and posts it again), 429 when accepting it would hold more than `queue_max` records unacknowledged.

Retries are what cameras do, so a repeated hit id is never sent twice by one gateway: a hit still in flight
(a previous post timed out waiting for a broker that is away) is joined, not sent again; a hit acknowledged
in the last `ACKED_MEMORY_S` is answered at once. A post's new records are sent by one task that no
timeout cancels: it ends when the producer knows the outcome of each (acknowledged, or failed after its
request timeout), so a slow broker never makes a record half-sent. One task per post, not per record: a
batch of a thousand reads costs one task and one gather, not a thousand. Behind several gateways a retry
may reach another one; the worker's dedup by hit id counts such a copy once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams.settings import Settings

log = logging.getLogger(__name__)

ACKED_MEMORY_S = 900.0
ACKED_MAX = 200_000
# How long the producer itself keeps trying a record before it fails it (a post waits far less).
PRODUCER_REQUEST_TIMEOUT_MS = 30_000


class QueueFull(RuntimeError):
    """Taking the post would hold more records unacknowledged than the gateway allows (429)."""


class BrokerUnavailable(RuntimeError):
    """The brokers did not acknowledge every record within the ack timeout (503); the message says why."""


@dataclass(frozen=True, slots=True)
class Record:
    topic: str  # physical name
    key: bytes
    value: bytes
    hit_id: str | None = None  # hits only: what makes a retried read the same one


@dataclass(frozen=True, slots=True)
class Published:
    sent: int  # acknowledged now
    duplicates: int  # acknowledged before (a retry), not sent again
    ack_s: float


class Publisher:
    def __init__(self, settings: Settings, *, queue_max: int, ack_timeout_s: float) -> None:
        self.settings = settings
        self.queue_max = queue_max
        self.ack_timeout_s = ack_timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._pending: dict[str, asyncio.Task[None]] = {}  # by hit id: the task sending it
        self._sizes: dict[asyncio.Task[None], int] = {}  # every sending task: how many records it sends
        self._acked: OrderedDict[str, float] = OrderedDict()
        self.last_ack_s: float | None = None  # monotonic time of the last acknowledgement
        self.last_failure: str = ""
        self.last_failure_s: float | None = None
        self.started = False

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            **self.settings.connection().client_kwargs(),
            client_id=f"{self.settings.app_id}-gateway",
            acks="all",
            enable_idempotence=True,
            linger_ms=self.settings.gateway_linger_ms,
            request_timeout_ms=PRODUCER_REQUEST_TIMEOUT_MS,
        )
        await self._producer.start()
        self.started = True

    async def stop(self) -> None:
        """Wait for what is in flight (bounded by the producer's own timeout), then close."""
        waiting = list(self._sizes)
        if waiting:
            await asyncio.wait(waiting, timeout=PRODUCER_REQUEST_TIMEOUT_MS / 1000)
        if self._producer is not None:
            await self._producer.stop()

    @property
    def in_flight(self) -> int:
        return sum(self._sizes.values())

    async def publish(self, records: list[Record]) -> Published:
        """Send `records` and wait until all are acknowledged; `QueueFull` or `BrokerUnavailable` if not."""
        if not self.started:
            raise BrokerUnavailable("not connected to the cluster yet")
        started = time.monotonic()
        self._forget_acked(started)
        duplicates = 0
        joined: set[asyncio.Task[None]] = set()
        fresh: list[Record] = []
        in_post: set[str] = set()
        for record in records:
            if record.hit_id is not None:
                if record.hit_id in self._acked:
                    duplicates += 1
                    continue
                sending = self._pending.get(record.hit_id)
                if sending is not None:  # a retry of a post still waiting for the brokers: join it
                    joined.add(sending)
                    continue
                if record.hit_id in in_post:  # the same read twice in one post: one hit
                    continue
                in_post.add(record.hit_id)
            fresh.append(record)
        if fresh and self.in_flight + len(fresh) > self.queue_max:
            raise QueueFull(
                f"{self.in_flight} records are waiting for the brokers (at most {self.queue_max}); "
                "retry shortly"
            )
        tasks = set(joined)
        if fresh:
            tasks.add(self._start(fresh))
        if tasks:
            done, waiting = await asyncio.wait(tasks, timeout=self.ack_timeout_s)
            failed = [task for task in done if task.exception() is not None]
            if waiting or failed:
                total = len(records) - duplicates
                reason = (
                    f"{sum(self._sizes.get(t, 0) for t in waiting)} of {total} records not acknowledged "
                    f"within {self.ack_timeout_s:g} s"
                    if waiting
                    else f"the brokers refused records of this post: {failed[0].exception()}"
                )
                self.last_failure, self.last_failure_s = reason, time.monotonic()
                raise BrokerUnavailable(reason)
        return Published(len(records) - duplicates, duplicates, time.monotonic() - started)

    def _start(self, records: list[Record]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._send(records))
        task.add_done_callback(_retrieved)
        self._sizes[task] = len(records)
        for record in records:
            if record.hit_id is not None:
                self._pending[record.hit_id] = task
        return task

    async def _send(self, records: list[Record]) -> None:
        assert self._producer is not None  # noqa: S101 (start() before publish())
        deliveries: list[Any] = []
        failure: BaseException | None = None
        try:
            try:
                for record in records:
                    deliveries.append(await self._producer.send(record.topic, record.value, key=record.key))
            except KafkaError as error:  # the rest of the post is not sent; what was is still awaited
                failure = error
            outcomes = await asyncio.gather(*deliveries, return_exceptions=True)
            now = time.monotonic()
            for record, outcome in zip(records, outcomes, strict=False):
                if isinstance(outcome, BaseException):
                    failure = failure or outcome
                    continue
                self.last_ack_s = now
                if record.hit_id is not None:
                    self._acked[record.hit_id] = now
                    self._acked.move_to_end(record.hit_id)
                    if len(self._acked) > ACKED_MAX:
                        self._acked.popitem(last=False)
        finally:
            me = asyncio.current_task()
            self._sizes.pop(me, None)  # type: ignore[arg-type]
            for record in records:
                if record.hit_id is not None and self._pending.get(record.hit_id) is me:
                    del self._pending[record.hit_id]
        if failure is not None:
            topic = records[0].topic if records else "?"
            log.warning("records for %s failed: %s: %s", topic, type(failure).__name__, failure)
            raise failure

    def _forget_acked(self, now: float) -> None:
        while self._acked:
            hit_id, at = next(iter(self._acked.items()))
            if now - at < ACKED_MEMORY_S:
                break
            del self._acked[hit_id]


def _retrieved(task: asyncio.Task[None]) -> None:
    """A send whose post stopped waiting still ends with an outcome; take it so asyncio does not log it as
    never retrieved (the failure was logged by the send itself)."""
    if not task.cancelled():
        task.exception()
