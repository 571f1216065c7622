"""Consumers every worker runs beside its Faust agents, outside any consumer group.

A follower reads every partition of its topics (not a share of them), which is what a per-worker replica
needs: the watchlist (streams/worker/watchlist/replica.py), the alert topics for the alert grouper
(`AlertFollower`: operators' decisions and the open alerts a worker takes over), and the cameras' heartbeats
for checkpoint health (`CameraStatusFollower`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import msgspec
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import murmur2
from aiokafka.structs import ConsumerRecord
from mode import Service

from streams import codecs
from streams.aio.following import open_follower, topic_partitions, until_done
from streams.codecs.gateway import GATEWAY_DECODERS, CameraStatusMessage
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.alerts import Alert
from streams.domain.matching.dedup import AlertGrouper
from streams.lag import starts_by_time
from streams.settings import Settings
from streams.topics import ALERTS, ALERTS_RESTRICTED, CAMERA_STATUS, HITS
from streams.worker.health import CameraStatuses

log = logging.getLogger(__name__)


class AlertFollower(Service):
    """Follows the alert topics on every worker, for its alert grouper (dedup):

    - operators' decisions, so dedup updates keep them (and a rejected alert gets no more);
    - the alerts still open: at start it reads back the last dedup window, and every alert after it, and
      the grouper adopts those it has no group for. A worker that takes partitions over from one that died
      then updates the vehicle's open alert instead of opening a second one.

    Records that are not alerts of the schema are skipped here (the command side dead-letters them once).
    """

    def __init__(self, settings: Settings, grouper: AlertGrouper, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.grouper = grouper
        self.window = timedelta(seconds=settings.dedup_window_s)
        self.adopted = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._logical = {settings.topic(ALERTS): ALERTS, settings.topic(ALERTS_RESTRICTED): ALERTS_RESTRICTED}

    async def _open(self) -> AIOKafkaConsumer:
        consumer, tps = await open_follower(
            self.settings, [ALERTS, ALERTS_RESTRICTED], client_id="alert-follower", from_beginning=False
        )
        try:
            # Back one dedup window (by broker time): the alerts a vehicle at a site could still be joining.
            since = int((datetime.now(UTC) - self.window).timestamp() * 1000)
            found = await consumer.offsets_for_times(dict.fromkeys(tps, since))
            ends = await consumer.end_offsets(tps)
        except BaseException:
            await consumer.stop()
            raise
        for tp, start in starts_by_time(
            {tp: None if f is None else f.offset for tp, f in found.items()}, ends
        ).items():
            consumer.seek(tp, start)
        return consumer

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    @Service.task
    async def _follow(self) -> None:
        consumer = self._consumer = await until_done(self, "following the alert topics", self._open)
        if consumer is None:
            return
        max_bytes = self.settings.max_message_bytes
        while not self.should_stop:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            now = datetime.now(UTC)
            for tp, records in batches.items():
                topic = self._logical[tp.topic]
                for record in records:
                    try:
                        key = codecs.decode_key(record.key)
                        alert = codecs.read_alert(key, record.value, topic=topic, max_bytes=max_bytes)
                    except InvalidInput:
                        continue
                    review = alert.get("review")
                    if isinstance(review, dict):
                        self.grouper.review(str(alert["alert_id"]), review)
                    restricted = topic == ALERTS_RESTRICTED
                    if self.grouper.adopt(Alert.from_message(alert, restricted=restricted), now=now):
                        self.adopted += 1


def partition_of(key: str, partitions: int) -> int:
    """The partition a keyed record lands on with Kafka's default partitioner (murmur2, as the Java client,
    aiokafka and kafka-python compute it): where a checkpoint's hits are, whoever produced them."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class CameraStatusFollower(Service):
    """Follows `cameras.status` on every worker, from its beginning (it is compacted: one record per camera),
    into `CameraStatuses`, so a camera that says it is not streaming makes its checkpoint silent at once.

    The gateways validated what they wrote and only they may write it (ACLs); a record that is still not a
    status of the schema, or whose key is not its camera, is skipped and counted (`refused`), not
    dead-lettered: every worker reads every record, and each would dead-letter the same one.
    """

    def __init__(self, settings: Settings, statuses: CameraStatuses, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.statuses = statuses
        self.refused = 0
        self.applied = 0
        self._decode = GATEWAY_DECODERS[CAMERA_STATUS].decode
        self._hits_partitions = 0
        self._consumer: AIOKafkaConsumer | None = None

    async def _open(self) -> AIOKafkaConsumer:
        self._hits_partitions = len(await topic_partitions(self.settings, [HITS]))
        consumer, _ = await open_follower(
            self.settings, [CAMERA_STATUS], client_id="camera-status", from_beginning=True
        )
        return consumer

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    @Service.task
    async def _follow(self) -> None:
        consumer = self._consumer = await until_done(self, "following cameras.status", self._open)
        if consumer is None:
            return
        while not self.should_stop:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            now = datetime.now(UTC)
            for records in batches.values():
                for record in records:
                    if self.apply(record, now):
                        self.applied += 1
                    else:
                        self.refused += 1

    def apply(self, record: ConsumerRecord[bytes, bytes], now: datetime) -> bool:
        """Fold one record in; False when it is refused."""
        try:
            camera = codecs.decode_key(record.key)
        except InvalidInput:
            return False
        if camera is None:
            return False
        if record.value is None:  # the camera's record deleted
            self.statuses.forget(camera)
            return True
        if len(record.value) > self.settings.max_message_bytes:
            return False
        try:
            status: CameraStatusMessage = self._decode(record.value)
            reported_at = datetime.fromisoformat(status.reported_at)
            reported_at.timestamp()  # year 1 at +08:00 is before year 1 in UTC: no such instant
        except (msgspec.DecodeError, ValueError, OverflowError):
            return False
        if status.camera != camera or self._hits_partitions < 1:
            return False
        self.statuses.observe(
            camera,
            checkpoint_id=status.checkpoint_id,
            partition=partition_of(status.checkpoint_id, self._hits_partitions),
            streaming=status.streaming,
            reported_at=reported_at,
            now=now,
        )
        return True
