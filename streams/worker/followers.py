"""Consumers every worker runs beside its Faust agents, outside any consumer group.

A follower reads every partition of its topics (not a share of them), which is what a per-worker replica
needs: the watchlist (streams/worker/watchlist/replica.py) and operators' reviews of open alerts
(`ReviewFollower`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from mode import Service

from streams.settings import Settings
from streams.topics import MissingTopic

log = logging.getLogger(__name__)


async def topic_partitions(settings: Settings, names: Sequence[str]) -> list[TopicPartition]:
    """Every partition of the public topics `names` (logical names); `MissingTopic` for one not there.

    Asked with the admin client for all topics: a fresh consumer knows no partitions until it has fetched
    metadata, aiokafka's public `topics()` keeps no partitions, and a metadata request naming the topics may
    auto-create them on a cluster that allows it (a typo must fail, not make an empty topic).
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, client_id=f"{settings.app_id}-metadata"
    )
    await admin.start()
    try:
        described = {str(t["topic"]): t for t in await admin.describe_topics()}
    finally:
        await admin.close()
    tps: list[TopicPartition] = []
    for name in names:
        physical = settings.topic(name)
        found = described.get(physical)
        if found is None or not found["partitions"]:
            raise MissingTopic(physical)
        tps.extend(TopicPartition(physical, p["partition"]) for p in sorted(found["partitions"], key=_number))
    return tps


def _number(partition: dict[str, Any]) -> int:
    return int(partition["partition"])


def consumer_for(settings: Settings, *, client_id: str, from_beginning: bool = True) -> AIOKafkaConsumer:
    """A consumer outside any group (not started): the followers' and the retro scan's."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
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
        log.exception("cannot follow %s", list(names))
        await consumer.stop()
        raise
    return consumer, tps


class ReviewFollower(Service):
    """Tells this worker's alert grouper about operators' decisions, so dedup updates keep them."""

    def __init__(
        self, settings: Settings, on_review: Callable[[str, dict[str, object]], object], **kwargs: object
    ):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.on_review = on_review
        self._consumer: AIOKafkaConsumer | None = None

    async def on_start(self) -> None:
        from streams.topics import ALERTS, ALERTS_RESTRICTED

        self._consumer, _ = await open_follower(
            self.settings, [ALERTS, ALERTS_RESTRICTED], client_id="review-follower", from_beginning=False
        )

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    @Service.task
    async def _follow(self) -> None:
        import orjson

        consumer = self._consumer
        assert consumer is not None  # noqa: S101 - set by on_start
        while not self.should_stop:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            for records in batches.values():
                for record in records:
                    try:
                        alert = orjson.loads(record.value) if record.value else None
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(alert, dict) and isinstance(alert.get("review"), dict):
                        self.on_review(str(alert.get("alert_id")), alert["review"])
