"""Reading whole topics outside any consumer group, with aiokafka: what a per-process replica needs.

Shared by the worker's followers (streams/worker/followers.py), its watchlist replica and retro scan, and
the web console (streams/web/follower.py), which is not a worker and must not import one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from mode import Service

from streams.aio.partitions import partitions_of
from streams.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
# What an unreachable or changing cluster raises; anything else is a fault of ours and is not retried.
TRANSIENT = (KafkaError, OSError, TimeoutError)
RETRY_FIRST_S = 1.0
RETRY_CAP_S = 30.0


async def until_done(service: Service, what: str, attempt: Callable[[], Awaitable[T]]) -> T | None:
    """`attempt()`, tried again after transient failures (one log line each, backoff doubling to the cap)
    until it succeeds or `service` is asked to stop (then None). A service whose set-up needs the cluster
    does it here, in its task, not in `on_start`: a broker away at that moment must not fail the worker."""
    delay = RETRY_FIRST_S
    while not service.should_stop:
        try:
            return await attempt()
        except TRANSIENT as exc:
            log.warning("%s failed (%s: %s); trying again in %.0f s", what, type(exc).__name__, exc, delay)
            await service.sleep(delay)
            delay = min(delay * 2, RETRY_CAP_S)
    return None


async def topic_partitions(settings: Settings, names: Sequence[str]) -> list[TopicPartition]:
    """Every partition of the public topics `names` (logical names); `MissingTopic` for one not there."""
    physical = [settings.topic(name) for name in names]
    return await partitions_of(settings, physical, client_id=f"{settings.app_id}-metadata")


def consumer_for(settings: Settings, *, client_id: str, from_beginning: bool = True) -> AIOKafkaConsumer:
    """A consumer outside any group (not started): the followers' and the retro scan's."""
    return AIOKafkaConsumer(
        **settings.connection().client_kwargs(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        client_id=f"{settings.app_id}-{client_id}",
    )


async def open_follower(
    settings: Settings, names: Sequence[str], *, client_id: str, from_beginning: bool
) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    """A started consumer assigned every partition of the public topics `names` (logical names)."""
    tps = await topic_partitions(settings, names)
    consumer = consumer_for(settings, client_id=client_id, from_beginning=from_beginning)
    await consumer.start()
    try:
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
    except BaseException:
        await consumer.stop()
        raise
    return consumer, tps
