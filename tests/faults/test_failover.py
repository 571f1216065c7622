"""A crashed partition leader loses no acknowledged record (3 replicas, acks=all, min ISR 2), and the node
rejoins the ISR when it comes back; topics created without a replication factor get the cluster's."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from tests.faults.conftest import KafkaCluster

pytestmark = pytest.mark.faults

PARTITIONS = 3
PREFERRED = 0  # ElectLeaders: the preferred (first) replica


class Traffic:
    """A producer (acks=all, idempotent) and a consumer of every partition, on the cluster's bootstrap
    list, and the books: what the cluster acknowledged at which offset, and what the consumer read."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=10_000,
            delivery_timeout_ms=60_000,
            reconnect_backoff_max_ms=500,
        )
        self.consumer = _consumer(bootstrap, topic)
        self.sent = 0
        self.pending: list[tuple[bytes, Any]] = []
        self.acked: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
        self.failed: list[tuple[bytes, BaseException]] = []
        self.read: dict[int, list[tuple[int, bytes]]] = defaultdict(list)

    def send(self, count: int) -> None:
        for _ in range(count):
            value = f"record-{self.sent:06d}".encode()
            future = self.producer.send(self.topic, value=value, partition=self.sent % PARTITIONS)
            self.pending.append((value, future))
            self.sent += 1

    def settle(self) -> None:
        """Book every send the cluster has answered."""
        waiting = []
        for value, future in self.pending:
            if not future.is_done:
                waiting.append((value, future))
            elif future.failed():
                self.failed.append((value, future.exception))
            else:
                self.acked[future.value.partition].append((future.value.offset, value))
        self.pending = waiting

    def flush(self, timeout: float = 60.0) -> None:
        self.producer.flush(timeout=timeout)
        self.settle()
        assert not self.pending, f"{len(self.pending)} sends unanswered after flush"

    def poll(self, timeout_ms: int = 50) -> None:
        for tp, records in self.consumer.poll(timeout_ms=timeout_ms).items():
            self.read[tp.partition].extend((r.offset, r.value) for r in records)

    def run_until(self, what: str, check: Callable[[], bool], timeout: float = 60.0) -> float:
        """Keep producing (~400 records/s) and consuming until `check` holds; the seconds it took."""
        start = time.monotonic()
        next_check = start
        while True:
            self.send(20)
            self.poll()
            self.settle()
            now = time.monotonic()
            if now >= next_check:
                if check():
                    return now - start
                next_check = now + 0.5
            if now - start > timeout:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")

    def drain(self, timeout: float = 30.0) -> None:
        """Consume until everything acknowledged has been read (and half a second more, for any extras)."""
        deadline = time.monotonic() + timeout
        while any(len(self.read[p]) < len(self.acked[p]) for p in range(PARTITIONS)):
            assert time.monotonic() < deadline, f"read {_counts(self.read)} of {_counts(self.acked)}"
            self.poll(200)
        settle_until = time.monotonic() + 0.5
        while time.monotonic() < settle_until:
            self.poll(100)

    def close(self) -> None:
        self.producer.close(timeout=10)
        self.consumer.close()


def _consumer(bootstrap: str, topic: str) -> KafkaConsumer:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        reconnect_backoff_max_ms=500,
    )
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    return consumer


def _counts(books: dict[int, list[tuple[int, bytes]]]) -> dict[int, int]:
    return {p: len(books[p]) for p in range(PARTITIONS)}


def _read_all(bootstrap: str, topic: str, timeout: float = 30.0) -> dict[int, list[tuple[int, bytes]]]:
    """Every record of the topic, read by a new consumer up to the end offsets it finds at the start."""
    consumer = _consumer(bootstrap, topic)
    try:
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in range(PARTITIONS)])
        read: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            assert time.monotonic() < deadline, f"read {_counts(read)} of {ends}"
            for tp, records in consumer.poll(timeout_ms=200).items():
                read[tp.partition].extend((r.offset, r.value) for r in records)
        return read
    finally:
        consumer.close()


def _in_order(books: dict[int, list[tuple[int, bytes]]]) -> dict[int, list[tuple[int, bytes]]]:
    return {p: sorted(books[p]) for p in range(PARTITIONS)}


def test_a_killed_leader_loses_no_acknowledged_record_and_rejoins_the_isr(
    kafka_cluster: KafkaCluster,
) -> None:
    topic = f"faults.failover.{uuid.uuid4().hex[:8]}"
    with closing(kafka_cluster.admin()) as admin:
        admin.create_topics([NewTopic(topic, PARTITIONS, 3)], timeout_ms=30_000, wait_for_metadata=True)
    kafka_cluster.wait_for(
        "every replica in sync",
        lambda: all(len(kafka_cluster.isr_of(topic, p)) == 3 for p in range(PARTITIONS)),
    )
    traffic = Traffic(kafka_cluster.bootstrap, topic)
    try:
        traffic.send(300)
        traffic.flush()

        before = kafka_cluster.partition(topic, 0)
        victim = int(before["leader_id"])
        assert victim == before["replica_nodes"][0], before  # a new topic's leaders are its preferred ones
        kafka_cluster.kill(victim)

        # Producing and consuming go on: partition 0 gets a new leader from the two in-sync followers.
        failover = traffic.run_until(
            "partition 0 to be led by a live node",
            lambda: kafka_cluster.leader_of(topic, 0) not in (victim, -1),
        )
        traffic.send(300)
        traffic.flush()
        assert not traffic.failed, f"{len(traffic.failed)} sends failed, e.g. {traffic.failed[:3]}"
        isr = kafka_cluster.isr_of(topic, 0)
        assert victim not in isr and len(isr) == 2, isr

        # Back with its data, the node catches up on what it missed and rejoins every ISR.
        kafka_cluster.start(victim)
        rejoin = traffic.run_until(
            f"node {victim} to rejoin every ISR",
            lambda: all(victim in kafka_cluster.isr_of(topic, p) for p in range(PARTITIONS)),
        )
        traffic.flush()

        # Made leader of partition 0 again, it serves every record acknowledged while it was dead.
        with closing(kafka_cluster.admin()) as admin:
            admin.elect_leaders(PREFERRED, {topic: [0]}, timeout_ms=30_000)
        kafka_cluster.wait_for(
            f"node {victim} to lead partition 0", lambda: kafka_cluster.leader_of(topic, 0) == victim
        )
        traffic.send(150)
        traffic.flush()
        assert not traffic.failed, f"{len(traffic.failed)} sends failed, e.g. {traffic.failed[:3]}"

        traffic.drain()
        acknowledged = _in_order(traffic.acked)
        assert sum(map(len, acknowledged.values())) == traffic.sent
        assert _in_order(traffic.read) == acknowledged  # exactly: nothing lost, duplicated or extra
        assert _in_order(_read_all(kafka_cluster.bootstrap, topic)) == acknowledged
        took = f"failover {failover:.1f}s, rejoin {rejoin:.1f}s"
        print(f"\n{traffic.sent} records, node {victim} killed: {took}")
    finally:
        traffic.close()


def test_a_topic_created_without_a_replication_factor_gets_three_replicas_and_min_isr_two(
    kafka_cluster: KafkaCluster,
) -> None:
    topic = f"faults.defaults.{uuid.uuid4().hex[:8]}"
    with closing(kafka_cluster.admin()) as admin:
        admin.create_topics({topic: {"num_partitions": 2}}, timeout_ms=30_000, wait_for_metadata=True)
    assert [len(p["replica_nodes"]) for p in kafka_cluster.partitions(topic).values()] == [3, 3]

    seen: list[str | None] = []  # None while the node asked does not know the new topic yet

    def min_isr_is_2() -> bool:
        with closing(kafka_cluster.admin()) as admin:
            configs = admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic, configs=["min.insync.replicas"])],
                config_filter="all",
            )
        found = configs.get("topic", {}).get(topic, {}).get("min.insync.replicas")
        seen.append(None if found is None else str(found["value"]))
        return seen[-1] == "2"

    kafka_cluster.wait_for(f"min.insync.replicas=2 on {topic}", min_isr_is_2, timeout=15)
    assert set(seen) <= {None, "2"}, seen
