"""The hits consumer (streams/worker/sensor/consumer.py) on its own against the real broker: what it
commits, and when.

The worker tests cover hits → alerts end to end; here the handler and the producer are stand-ins, so a send
can be made to fail exactly when wanted and the committed offsets checked against what was delivered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from streams import topics
from streams.settings import Settings
from streams.tools.kafka_io import BrokerLag, broker_lag
from streams.worker.pipeline import InputRecord, Outgoing
from streams.worker.sensor.consumer import DeliveryFailed, HitsConsumer
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.kafka

HITS = 40


class Outputs:
    """One output per hit; sends of `failing` keys fail that many times (as a timed-out batch would)."""

    def __init__(self, failing: dict[bytes, int]) -> None:
        self.failing = failing
        self.handled: list[tuple[int, int]] = []
        self.where: dict[bytes, tuple[int, int]] = {}  # output key → (partition, offset) of its hit
        self.sent: list[bytes] = []
        self.delivered: set[bytes] = set()

    def handle(self, records: Sequence[InputRecord]) -> list[Outgoing]:
        self.handled.extend((r.partition, r.offset) for r in records)
        self.where.update({r.value or b"": (r.partition, r.offset) for r in records})
        return [Outgoing(None, r.value or b"", b"{}") for r in records]  # type: ignore[arg-type]

    async def send(self, record: Outgoing) -> asyncio.Future[object]:
        self.sent.append(record.key)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if self.failing.get(record.key, 0) > 0:
            self.failing[record.key] -= 1
            future.set_exception(TimeoutError("batch expired"))
        else:
            self.delivered.add(record.key)
            future.set_result("ok")
        return future

    async def flush(self) -> None:
        return None


async def ready() -> None:
    return None


def fill(cluster: Cluster) -> None:
    for n in range(HITS):
        cluster.send(topics.HITS, f"hit-{n}".encode(), key=f"EC-{n % 8:04d}")
    cluster.flush()


def lag(settings: Settings) -> dict[tuple[str, int], int]:
    return broker_lag(settings, settings.hits_group, topics.HITS)


async def test_an_output_that_fails_is_sent_again_and_the_hits_are_committed_once_delivered(
    cluster: Cluster,
) -> None:
    fill(cluster)
    outputs = Outputs(failing={b"hit-5": 1})
    settings = replace(cluster.settings, hits_commit_interval_s=0.0)  # try to commit after every batch
    sensor = HitsConsumer(
        settings, handle=outputs.handle, send=outputs.send, flush=outputs.flush, wait_ready=ready
    )
    await sensor.start()
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while len(outputs.delivered) < HITS or set(lag(settings).values()) != {0}:
            assert asyncio.get_running_loop().time() < deadline, f"delivered {len(outputs.delivered)}"
            await asyncio.sleep(0.2)
    finally:
        await sensor.stop()
    assert sorted(outputs.handled) == sorted(set(outputs.handled))  # each hit handled once: no re-read
    assert outputs.sent.count(b"hit-5") == 2 and len(outputs.sent) == HITS + 1  # only the failed one again


async def test_outputs_that_never_go_stop_the_consumer_and_nothing_is_committed_past_them(
    cluster: Cluster,
) -> None:
    fill(cluster)
    outputs = Outputs(failing={b"hit-7": 99})
    settings = replace(cluster.settings, hits_commit_interval_s=0.0)
    sensor = HitsConsumer(
        settings, handle=outputs.handle, send=outputs.send, flush=outputs.flush, wait_ready=ready
    )
    with pytest.raises(DeliveryFailed):
        await asyncio.wait_for(sensor.consume(), timeout=60)
    # The batch that held hit-7 was never committed: its partition's committed offset is not past hit-7,
    # so whichever worker takes the partition reads it again (this worker stops: a crashed service ends it).
    partition, offset = outputs.where[b"hit-7"]
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    try:
        tp = TopicPartition(settings.topic(topics.HITS), partition)
        end = consumer.end_offsets([tp])[tp]
    finally:
        consumer.close()
    assert lag(settings)[(topics.HITS, partition)] >= end - offset
    assert outputs.sent.count(b"hit-7") == 3  # tried three times, then given up


async def test_lag_of_a_never_committed_partition_counts_from_the_log_start(cluster: Cluster) -> None:
    fill(cluster)
    name = cluster.settings.topic(topics.HITS)
    probe = KafkaConsumer(bootstrap_servers=cluster.settings.kafka_bootstrap, group_id=None)
    try:
        tps = [TopicPartition(name, p) for p in sorted(probe.partitions_for_topic(name) or [])]
        ends = probe.end_offsets(tps)
    finally:
        probe.close()
    partition = next(tp for tp in tps if ends[tp] >= 2)
    admin = KafkaAdminClient(bootstrap_servers=cluster.settings.kafka_bootstrap)
    try:  # as retention would: the partition's log now starts after offset 0
        admin.delete_records({partition: 1})
    finally:
        admin.close()
    outputs = Outputs(failing={})
    settings = replace(
        cluster.settings, hits_commit_interval_s=3600.0
    )  # no commit: the lag stays the start's
    sensor = HitsConsumer(
        settings, handle=outputs.handle, send=outputs.send, flush=outputs.flush, wait_ready=ready
    )
    await sensor.start()
    try:
        key = (topics.HITS, partition.partition)
        deadline = asyncio.get_running_loop().time() + 30
        while sensor.ledger.lags().get(key) != ends[partition] - 1:
            assert asyncio.get_running_loop().time() < deadline, sensor.ledger.lags()
            await asyncio.sleep(0.1)
        # The broker agrees there is no commit yet: a tool asking for committed lag only gets nothing.
        with BrokerLag(settings, settings.hits_group, topics.HITS) as broker:
            assert broker.lags(committed_only=True) == {}
    finally:
        await sensor.stop()
    with BrokerLag(settings, settings.hits_group, topics.HITS) as broker:  # the clean stop committed
        assert set(broker.lags(committed_only=True).values()) == {0}
