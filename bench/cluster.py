"""The harness's side of Kafka: topics per scenario, fast pre-filling, group progress and reading alerts.

Why separate clients from citygate's own: the harness plays the camera gateways and the operators, and
watches consumer groups from the outside (committed offsets), as an operator's lag dashboard would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import murmur2
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from bench import people
from bench.workload import stamp
from streams.settings import Settings
from streams.tools.admin import create_topics
from streams.topics import ALERTS, ALERTS_RESTRICTED, WATCHLIST, public_topics


class BenchError(RuntimeError):
    """A scenario could not be run or measured (a timeout, a dead process); the message says which."""


class TooFewHits(BenchError):
    """The workers drained (nearly) everything before all of them were ready: nothing left to time."""


def scenario_settings(bootstrap: str, run_id: str, scenario: str, data_dir: str) -> Settings:
    """Own topic prefix and app id (= consumer group) per scenario, so nothing is shared between them."""
    return Settings(
        kafka_bootstrap=bootstrap,
        app_id=f"bench-{run_id}-{scenario}",
        topic_prefix=f"bench{run_id}.{scenario}.",
        hits_partitions=8,
        data_dir=Path(data_dir),
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a `citygate worker` needs to run with `settings`."""
    return {
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "CITYGATE_APP_ID": settings.app_id,
        "CITYGATE_TOPIC_PREFIX": settings.topic_prefix,
        "CITYGATE_DATA_DIR": str(settings.data_dir),
        "CITYGATE_HITS_PARTITIONS": str(settings.hits_partitions),
        # The worker checks signatures by default (bench/people.py: the bench's root, officer and key).
        "CITYGATE_REGISTRY_ROOT_ID": people.ROOT.person_id,
        "CITYGATE_REGISTRY_ROOT_KEY": people.ROOT.public_key_b64,
        "CITYGATE_WORKER_KEY_FILE": people.desk_key_file(settings),
    }


def latency_clients(settings: Settings) -> tuple[AIOKafkaProducer, AIOKafkaConsumer]:
    """The producer that offers timed hits and the consumer that receives their alerts (not started): the
    latency scenario's and the soak's, on the deployment's connection."""
    client = settings.connection().client_kwargs()
    # The gateway's producer settings: the hit's moment is when a gateway hands it to Kafka.
    producer = AIOKafkaProducer(**client, acks="all", linger_ms=settings.gateway_linger_ms)
    consumer = AIOKafkaConsumer(
        **client, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=5, auto_offset_reset="latest"
    )
    return producer, consumer


def admin(bootstrap: str) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=bootstrap.split(","), client_id="bench", request_timeout_ms=30000
    )


def setup_topics(settings: Settings, extra: Sequence[str] = ()) -> None:
    """citygate's public topics under the scenario's prefix, plus `extra` (physical names, 1 partition);
    the people who sign the scenario's records registered."""
    create_topics(settings)
    people.register(settings)
    if extra:
        from kafka.admin import NewTopic

        client = admin(settings.kafka_bootstrap)
        try:
            have = set(client.list_topics())
            todo = [NewTopic(name, 1, settings.replication_factor) for name in extra if name not in have]
            if todo:
                client.create_topics(todo, timeout_ms=30000)
        finally:
            client.close()


def teardown(settings: Settings, groups: Sequence[str] = ()) -> list[str]:
    """Delete every topic of the scenario (its prefix, and Faust's internal `<app id>-...` topics) and its
    consumer groups. Returns the topics deleted; never raises (cleanup must not hide the real error)."""
    deleted: list[str] = []
    try:
        client = admin(settings.kafka_bootstrap)
    except Exception as exc:  # noqa: BLE001 - best effort
        print(f"bench: cleanup could not reach the broker: {exc}")
        return deleted
    try:
        mine = [
            t
            for t in client.list_topics()
            if t.startswith(settings.topic_prefix) or t.startswith(f"{settings.app_id}-")
        ]
        if mine:
            client.delete_topics(mine, timeout_ms=30000, raise_errors=False)
            deleted = mine
        if groups:
            try:
                client.delete_groups(list(groups))
            except Exception as exc:  # noqa: BLE001 - a group that never committed does not exist
                print(f"bench: could not delete groups {list(groups)}: {type(exc).__name__}")
    except Exception as exc:  # noqa: BLE001
        print(f"bench: cleanup of {settings.topic_prefix}* failed: {exc}")
    finally:
        client.close()
    return deleted


def skip_watchlist_backlog(settings: Settings) -> None:
    """Commit the end of watchlist.entries for the scenario's group before any worker starts.

    Why: a fresh group's `check_watchlist` agent would take all 10,000 entries as new and retro-match each
    batch of 100 against the whole anpr.hits backlog (100 scans of the pre-filled topic), which measures
    a bulk watchlist import, not hit matching. A deployed worker joins a group that has long committed the
    watchlist: this puts the scenario in that steady state. The replicas still read the whole list.
    """
    from kafka.structs import OffsetAndMetadata

    topic = settings.topic(WATCHLIST)
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        group_id=settings.app_id,
        enable_auto_commit=False,
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not tps:
            raise BenchError(f"topic {topic} does not exist")
        consumer.assign(tps)
        ends = consumer.end_offsets(tps)
        consumer.commit({tp: OffsetAndMetadata(ends[tp], "", -1) for tp in tps})
    finally:
        consumer.close()


def public_topic_names(settings: Settings) -> list[str]:
    return [settings.topic(spec.name) for spec in public_topics(settings)]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


async def _produce(
    bootstrap: str, topic: str, partitions: int, records: Sequence[tuple[bytes, bytes]], stamp_every: int
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=1,
        linger_ms=20,
        max_batch_size=256 * 1024,
        compression_type=None,
        request_timeout_ms=30000,
    )
    await producer.start()
    try:
        # Batches built directly per partition (the default partitioner's murmur2 of the key, as a Java or
        # kafka-python gateway would place them): no per-message future, so filling 1M hits takes seconds.
        open_batches: dict[int, object] = {}
        in_flight: list[asyncio.Future[object]] = []
        event_time = now_iso()
        for i, (key, value) in enumerate(records):
            if stamp_every and i % stamp_every == 0:
                event_time = now_iso()
            data = stamp(value, event_time) if stamp_every else value
            partition = (murmur2(key) & 0x7FFFFFFF) % partitions
            batch = open_batches.get(partition)
            if batch is None:
                batch = open_batches[partition] = producer.create_batch()
            if batch.append(key=key, value=data, timestamp=None) is None:  # type: ignore[attr-defined]
                in_flight.append(await producer.send_batch(batch, topic, partition=partition))  # type: ignore[arg-type]
                batch = open_batches[partition] = producer.create_batch()
                batch.append(key=key, value=data, timestamp=None)
            if len(in_flight) >= 64:
                await asyncio.gather(*in_flight[:32])
                del in_flight[:32]
        for partition, batch in open_batches.items():
            in_flight.append(await producer.send_batch(batch, topic, partition=partition))  # type: ignore[arg-type]
        await asyncio.wait_for(asyncio.gather(*in_flight), timeout=120)
    finally:
        await producer.stop()


def produce(
    bootstrap: str,
    topic: str,
    records: Sequence[tuple[bytes, bytes]],
    *,
    partitions: int,
    stamp_every: int = 0,
) -> float:
    """Produce `records` to `topic` as fast as the client can; with `stamp_every`, write the current time
    into each hit's event-time placeholder (refreshed every that many records). Returns seconds taken."""
    started = time.monotonic()
    asyncio.run(_produce(bootstrap, topic, partitions, records, stamp_every))
    return time.monotonic() - started


def produce_idempotent(
    bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]]
) -> tuple[int, float]:
    """Produce `records` (an iterator is fine: a million entries are made as they are sent) with an
    idempotent, batched kafka-python producer, as a watchlist import tool would: retries cannot duplicate
    or reorder entries. Returns (records sent, seconds); raises `BenchError` if any send failed."""
    from kafka import KafkaProducer

    started = time.monotonic()
    producer = KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        client_id="bench-watchlist-import",
        enable_idempotence=True,
        acks="all",
        linger_ms=50,
        batch_size=512 * 1024,
        max_in_flight_requests_per_connection=5,
        request_timeout_ms=60000,
    )
    failures: list[BaseException] = []
    sent = 0
    try:
        for key, value in records:
            producer.send(topic, key=key, value=value).add_errback(failures.append)
            sent += 1
        producer.flush(timeout=300)
    finally:
        producer.close(timeout=60)
    if failures:
        raise BenchError(f"{len(failures)} of {sent} records to {topic} failed, first: {failures[0]!r}")
    return sent, time.monotonic() - started


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise BenchError(f"topic {topic} does not exist")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


class GroupWatch:
    """Reads a consumer group's committed offsets on one topic, as a lag dashboard does."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        self.group = group
        self.topic = topic
        self.client = admin(bootstrap)

    def committed(self) -> int | None:
        """Sum of the group's committed offsets on the topic (0 before its first commit); None when the
        broker cannot say right now (group coordinator still loading): the caller just asks again."""
        try:
            offsets = self.client.list_group_offsets({self.group: None}).get(self.group, {})
        except KafkaError:
            return None
        return sum(max(0, meta.offset) for tp, meta in offsets.items() if tp.topic == self.topic)

    def close(self) -> None:
        self.client.close()


@dataclass
class AlertCount:
    """What landed on the alert topics."""

    total: int
    restricted: int
    new: int
    updated: int
    by_match_type: dict[str, int]
    messages: list[dict[str, object]]


def read_alerts(
    settings: Settings, *, topics: Sequence[str] | None = None, timeout: float = 60.0
) -> AlertCount:
    """Every message on the scenario's alert topics (a few thousand at most), read up to their end."""
    names = (
        list(topics) if topics is not None else [settings.topic(ALERTS), settings.topic(ALERTS_RESTRICTED)]
    )
    restricted_name = settings.topic(ALERTS_RESTRICTED)
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","), group_id=None, enable_auto_commit=False
    )
    try:
        tps = []
        for name in names:
            tps.extend(TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or []))
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        messages: list[dict[str, object]] = []
        restricted = 0
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise BenchError(f"reading alerts timed out after {timeout:.0f}s ({len(messages)} read)")
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.value is None:
                        continue
                    messages.append(orjson.loads(record.value))
                    restricted += tp.topic == restricted_name
    finally:
        consumer.close()
    by_type: dict[str, int] = {}
    new = updated = 0
    for message in messages:
        kind = str(message.get("kind"))
        by_type[f"kind:{kind}"] = by_type.get(f"kind:{kind}", 0) + 1
        if kind != "watchlist_match":
            continue
        state = message.get("state")
        new += state == "new"
        updated += state == "updated"
        if state == "new":
            match = message.get("match") or {}
            kind = str(match.get("match_type")) if isinstance(match, dict) else "?"
            by_type[kind] = by_type.get(kind, 0) + 1
    return AlertCount(len(messages), restricted, new, updated, by_type, messages)
