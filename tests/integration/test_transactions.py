"""Producers that write in transactions (a gateway or an importer with exactly-once delivery).

A transaction ends in a commit marker: an offset that counts in the end offsets but holds no record a
consumer reads. Everything that reads "up to the end" must finish there: the watchlist replica (or the
worker never becomes ready), the retro scan's range reads (or the watchlist agent waits forever), the hits
consumer's commits (or its lag never drains).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from kafka import KafkaConsumer

from streams import topics
from streams.codecs.signed import signed_message
from streams.domain.matching.plates import read_key
from streams.tools.kafka_io import broker_lag
from streams.worker.watchlist.retro_reader import Range, RetroReadStalled, read_ranges
from tests.integration.conftest import OFFICER, Cluster
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka


def send_in_transaction(
    cluster: Cluster, topic: str, messages: Sequence[tuple[str, dict[str, object]]]
) -> None:
    """Each (key, message) to `topic` in one committed transaction, as an exactly-once producer writes."""

    async def send() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=cluster.settings.kafka_bootstrap, transactional_id=f"gateway-{uuid.uuid4().hex}"
        )
        await producer.start()
        try:
            async with producer.transaction():
                for key, message in messages:
                    await producer.send(
                        cluster.settings.topic(topic), key=key.encode(), value=orjson.dumps(message)
                    )
        finally:
            await producer.stop()

    asyncio.run(send())


def signed_entry(entry_id: str, plate: str) -> dict[str, object]:
    """A live entry signed by the tests' officer (a transactional producer sends it as it is)."""
    entry = live_entry(entry_id, plate)
    return signed_message(entry, OFFICER.sign(topic=topics.WATCHLIST, key=entry_id, value=entry))


def test_a_city_fed_in_transactions_matches_retro_matches_and_drains(cluster: Cluster) -> None:
    seen_earlier = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    send_in_transaction(
        cluster, topics.HITS, [("YZ-EC-0001", live_hit("tx-past", "苏K70001", event_time=seen_earlier))]
    )
    send_in_transaction(
        cluster,
        topics.WATCHLIST,
        [
            (entry_id, signed_entry(entry_id, plate))
            for entry_id, plate in (("WL-TX-1", "苏K70001"), ("WL-TX-2", "苏K70002"))
        ],
    )
    worker = cluster.start_worker()
    worker.wait_healthy(timeout=60)  # the replica read past the watchlist's commit marker
    # The retro scan read the hits up to their end, marker included, and finished.
    retro = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 1, settle=1)
    assert [(a["kind"], a["refs"][0]["id"]) for a in retro] == [("retro_match", "tx-past")]  # type: ignore[index]
    cluster.wait_past_listing()
    send_in_transaction(
        cluster, topics.HITS, [("YZ-EC-0002", live_hit("tx-live", "苏K70002", checkpoint_id="YZ-EC-0002"))]
    )
    alerts = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 2, settle=1)
    assert {str(a["refs"][0]["id"]) for a in alerts} == {"tx-past", "tx-live"}  # type: ignore[index]
    # The hits group's commits cover the markers too: its lag drains to 0 on every partition.
    deadline = time.monotonic() + 30
    while set(broker_lag(cluster.settings, cluster.settings.hits_group, topics.HITS).values()) - {None, 0}:
        assert time.monotonic() < deadline, broker_lag(
            cluster.settings, cluster.settings.hits_group, topics.HITS
        )
        time.sleep(1)
    assert worker.health() == 200


def _end(cluster: Cluster, partition: int) -> int:
    consumer = KafkaConsumer(bootstrap_servers=cluster.settings.kafka_bootstrap)
    try:
        tp = TopicPartition(cluster.settings.topic(topics.HITS), partition)
        return int(consumer.end_offsets([tp])[tp])  # type: ignore[arg-type]
    finally:
        consumer.close()


def test_a_range_ending_in_a_commit_marker_is_read_to_its_end(cluster: Cluster) -> None:
    send_in_transaction(
        cluster, topics.HITS, [("YZ-EC-0001", live_hit(f"h{n}", "苏K70003")) for n in range(3)]
    )
    partitions = {0, 1, 2, 3}
    ranges = [Range(p, 0, end) for p in sorted(partitions) if (end := _end(cluster, p)) > 0]
    assert len(ranges) == 1 and ranges[0].end == 4  # three records and the marker
    read, kept = asyncio.run(
        asyncio.wait_for(read_ranges(cluster.settings, ranges, frozenset({read_key("苏K70003")})), timeout=20)
    )
    assert read == 3 and [k.offset for k in kept] == [0, 1, 2]


def test_a_range_read_that_cannot_progress_gives_up_to_be_tried_again(cluster: Cluster) -> None:
    # An end past the partition's real end (the log truncated under it by an unclean leader election):
    # the read stops after its stall limit with a reason instead of holding the watchlist agent forever.
    cluster.send(topics.HITS, live_hit("h-only", "苏K70004"), key="YZ-EC-0001")
    cluster.flush()
    partition = next(p for p in range(4) if _end(cluster, p) > 0)
    started = time.monotonic()
    with pytest.raises(RetroReadStalled, match=r"no progress reading .*anpr\.hits"):
        asyncio.run(read_ranges(cluster.settings, [Range(partition, 0, 10)], frozenset(), stall_s=2))
    assert time.monotonic() - started < 15
