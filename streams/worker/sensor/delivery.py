"""Outputs handed to the producer, held until each is known to be in Kafka.

aiokafka's `flush` does not raise when a batch failed: only each send's future says so. `Delivery.confirm`
flushes, checks every future, sends the failed records again, and raises `DeliveryFailed` for outputs that
never go, so the hits consumer never commits input whose outputs are not in Kafka.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from streams.worker.pipeline import Outgoing, Send

log = logging.getLogger(__name__)

DELIVERY_ATTEMPTS = 3  # sends of one output before the worker gives up and stops
DELIVERY_BACKOFF_S = 0.5  # grows with each try


class DeliveryFailed(Exception):
    """Outputs the producer could not deliver after every try: their input must not be committed."""


class Delivery:
    """Outputs handed to the producer since the last commit, until each is known to be in Kafka."""

    def __init__(
        self,
        send: Send,
        flush: Callable[[], Awaitable[None]],
        *,
        attempts: int = DELIVERY_ATTEMPTS,
        backoff_s: float = DELIVERY_BACKOFF_S,
    ) -> None:
        self._send = send
        self._flush = flush
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._in_flight: list[tuple[Outgoing, Awaitable[object]]] = []
        self.resent = 0

    def __len__(self) -> int:
        return len(self._in_flight)

    async def send(self, records: Sequence[Outgoing]) -> None:
        """Hand records to the producer without waiting for them."""
        for record in records:
            self._in_flight.append((record, await self._start(record)))

    async def confirm(self) -> None:
        """Flush, then check every send; resend the failed ones; raise `DeliveryFailed` if some never go."""
        for attempt in range(1, self.attempts + 1):
            await self._flush()
            outcomes = await asyncio.gather(*(sent for _, sent in self._in_flight), return_exceptions=True)
            failed = [
                (record, outcome)
                for (record, _), outcome in zip(self._in_flight, outcomes, strict=True)
                if isinstance(outcome, BaseException)
            ]
            if not failed:
                self._in_flight = []
                return
            first = failed[0][1]
            log.warning(
                "%d of %d outputs not delivered (%s: %s), try %d of %d",
                len(failed),
                len(self._in_flight),
                type(first).__name__,
                first,
                attempt,
                self.attempts,
            )
            if attempt == self.attempts:
                raise DeliveryFailed(f"{len(failed)} outputs not delivered after {attempt} tries: {first!r}")
            await asyncio.sleep(self.backoff_s * attempt)
            self.resent += len(failed)
            self._in_flight = [(record, await self._start(record)) for record, _ in failed]

    async def _start(self, record: Outgoing) -> Awaitable[object]:
        try:
            return await self._send(record)
        except Exception as exc:  # noqa: BLE001 - refused at once: kept as a failed send, tried again
            refused: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            refused.set_exception(exc)
            return refused
