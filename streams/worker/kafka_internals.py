"""What citygate needs from aiokafka's internals: a backoff between failed metadata updates, and a
consumer's position read without waiting.

aiokafka 0.14's client refreshes cluster metadata in one background task (`_md_synchronizer`) that anyone
may wake with `force_metadata_update()`. The producer's sender and the consumer's fetcher wake it again as
soon as an update finishes while a partition has no known leader, and nothing waits between attempts. While
the cluster is unreachable every attempt fails at once (connection refused), so each client spins: one worker
logged ~3,000 "Unable connect to node" / "Unable to update metadata" lines a second and burnt a core during a
30 s broker outage. With this patch a failed update is followed by a pause before its waiters are answered,
doubling from the client's `retry_backoff_ms` up to `MAX_BACKOFF_S`, and reset by the first update that
succeeds, so an outage costs a few attempts a second per client and reconnecting is still prompt.

`install()` is idempotent; the worker installs it when its app is built.

`settled_position` is `consumer.position(tp)` for a loop that must not wait: the public coroutine blocks
(up to the request timeout) while a partition's position is being reset, and the hits consumer asks on
every batch only to learn whether the position has moved past offsets no record is read at (a
transaction's commit marker).

tests/unit/worker/test_kafka_internals.py pins the aiokafka release and the private names both use, so an
upgrade fails loudly instead of silently doing nothing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.client import AIOKafkaClient

KNOWN_AIOKAFKA_VERSION = "0.14.0"
MAX_BACKOFF_S = 1.0
_PATCHED = "_citygate_backoff"

MetadataUpdate = Callable[..., Awaitable[bool]]


def with_backoff(update: MetadataUpdate, *, max_backoff_s: float = MAX_BACKOFF_S) -> MetadataUpdate:
    """`update` (AIOKafkaClient._metadata_update), pausing after each failure: the client's retry backoff,
    doubled per consecutive failure up to `max_backoff_s`."""

    @functools.wraps(update)
    async def update_with_backoff(client: Any, cluster_metadata: Any, topics: Any) -> bool:
        updated = await update(client, cluster_metadata, topics)
        if updated:
            client._citygate_failures = 0
            return True
        failures = getattr(client, "_citygate_failures", 0) + 1
        client._citygate_failures = failures
        first = max(float(getattr(client, "_retry_backoff", 0.1)), 0.01)
        await asyncio.sleep(min(max_backoff_s, first * 2 ** (failures - 1)))
        return False

    setattr(update_with_backoff, _PATCHED, True)
    return update_with_backoff


def install() -> None:
    """Wrap AIOKafkaClient._metadata_update once for the process (every client, Faust's included)."""
    current = AIOKafkaClient._metadata_update
    if not getattr(current, _PATCHED, False):
        AIOKafkaClient._metadata_update = with_backoff(current)


def settled_position(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    """The next offset `consumer` will return from `tp`, or None when it has none yet (being reset) or
    does not hold `tp`: what `await consumer.position(tp)` returns, without waiting."""
    subscription = consumer._subscription.subscription
    if subscription is None or tp not in subscription.assignment.tps:
        return None
    state = subscription.assignment.state_value(tp)
    return int(state.position) if state.has_valid_position else None
