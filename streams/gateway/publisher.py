"""Records to Kafka, answered only once the brokers have them: what lets a camera keep a read until then.

`Publisher.publish` sends a post's records from one idempotent producer (acks=all) and waits up to the ack
timeout; the caller answers 2xx only when every record was acknowledged, 503 when not (the camera keeps the
read and posts it again), 429 when accepting it would hold more than `queue_max` records unacknowledged.

Retries are what cameras do, so a repeated hit id is never sent twice by one gateway: a hit still in flight
(a previous post timed out waiting for a broker that is away) is joined, not sent again; a hit acknowledged
in the last `ACKED_MEMORY_S` is answered at once. Each send runs in a task of its own that no timeout
cancels: it ends when the producer knows (acknowledged, or failed after its request timeout), so a slow
broker never makes a record half-sent. Behind several gateways a retry may reach another one; the worker's
dedup by hit id counts such a copy once.
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
        self._pending: dict[str, asyncio.Task[None]] = {}  # by hit id
        self._unkeyed: set[asyncio.Task[None]] = set()
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
            linger_ms=2,
            request_timeout_ms=PRODUCER_REQUEST_TIMEOUT_MS,
        )
        await self._producer.start()
        self.started = True

    async def stop(self) -> None:
        """Wait for what is in flight (bounded by the producer's own timeout), then close."""
        waiting = [*self._pending.values(), *self._unkeyed]
        if waiting:
            await asyncio.wait(waiting, timeout=PRODUCER_REQUEST_TIMEOUT_MS / 1000)
        if self._producer is not None:
            await self._producer.stop()

    @property
    def in_flight(self) -> int:
        return len(self._pending) + len(self._unkeyed)

    async def publish(self, records: list[Record]) -> Published:
        """Send `records` and wait until all are acknowledged; `QueueFull` or `BrokerUnavailable` if not."""
        if not self.started:
            raise BrokerUnavailable("not connected to the cluster yet")
        started = time.monotonic()
        self._forget_acked(started)
        tasks: list[asyncio.Task[None]] = []
        duplicates = 0
        fresh = [
            r
            for r in records
            if r.hit_id is None or (r.hit_id not in self._acked and r.hit_id not in self._pending)
        ]
        if fresh and self.in_flight + len(fresh) > self.queue_max:
            raise QueueFull(
                f"{self.in_flight} records are waiting for the brokers (at most {self.queue_max}); "
                "retry shortly"
            )
        for record in records:
            if record.hit_id is not None and record.hit_id in self._acked:
                duplicates += 1
                continue
            joined = self._pending.get(record.hit_id) if record.hit_id is not None else None
            tasks.append(joined or self._start(record))
        if tasks:
            done, waiting = await asyncio.wait(tasks, timeout=self.ack_timeout_s)
            failed = [task for task in done if task.exception() is not None]
            if waiting or failed:
                reason = (
                    f"{len(waiting)} of {len(tasks)} records not acknowledged within {self.ack_timeout_s:g} s"
                    if waiting
                    else f"the brokers refused {len(failed)} of {len(tasks)} records: {failed[0].exception()}"
                )
                self.last_failure, self.last_failure_s = reason, time.monotonic()
                raise BrokerUnavailable(reason)
        return Published(len(tasks), duplicates, time.monotonic() - started)

    def _known(self, hit_id: str) -> bool:
        return hit_id in self._acked or hit_id in self._pending

    def _start(self, record: Record) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._send(record))
        task.add_done_callback(_retrieved)
        if record.hit_id is None:
            self._unkeyed.add(task)
        else:
            self._pending[record.hit_id] = task
        return task

    async def _send(self, record: Record) -> None:
        assert self._producer is not None  # noqa: S101 (start() before publish())
        try:
            delivery: Any = await self._producer.send(record.topic, record.value, key=record.key)
            await delivery
        except KafkaError as error:
            log.warning("a record for %s failed: %s: %s", record.topic, type(error).__name__, error)
            raise
        else:
            now = time.monotonic()
            self.last_ack_s = now
            if record.hit_id is not None:
                self._acked[record.hit_id] = now
                self._acked.move_to_end(record.hit_id)
                if len(self._acked) > ACKED_MAX:
                    self._acked.popitem(last=False)
        finally:
            if record.hit_id is None:
                self._unkeyed.discard(asyncio.current_task())
            else:
                self._pending.pop(record.hit_id, None)

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
