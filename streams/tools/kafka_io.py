"""Plain kafka-python producers and readers for commands (not for the worker's hot path)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, TopicAuthorizationFailedError

from streams import codecs
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex
from streams.lag import LagMap, consumer_lag, starts_by_time
from streams.settings import Settings
from streams.topics import WATCHLIST, MissingTopic


def producer(settings: Settings, **config: object) -> KafkaProducer:
    return KafkaProducer(
        **settings.connection().tool_client_kwargs(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        **config,
    )


def produce(
    settings: Settings,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes | None]],
    headers: dict[str, str] | None = None,
) -> int:
    """Send (key, value) records to the public topic `topic` and wait until all are acknowledged."""
    kafka = producer(settings)
    encoded = [(name, value.encode()) for name, value in (headers or {}).items()]
    try:
        count = 0
        for key, value in records:
            kafka.send(settings.topic(topic), key=key, value=value, headers=encoded or None)
            count += 1
        kafka.flush(timeout=30)
        return count
    finally:
        kafka.close()


def assigned_consumer(settings: Settings, topic: str) -> tuple[KafkaConsumer, list[TopicPartition]]:
    """A group-less consumer assigned every partition of the public topic `topic` (MissingTopic, or
    TopicRefused when the cluster's ACLs hide it); close it when done."""
    consumer = KafkaConsumer(
        **settings.connection().tool_client_kwargs(), group_id=None, enable_auto_commit=False
    )
    name = settings.topic(topic)
    partitions = consumer.partitions_for_topic(name)
    if not partitions:
        consumer.close()
        raise _missing_or_refused(settings, name)
    tps = [TopicPartition(name, p) for p in sorted(partitions)]
    consumer.assign(tps)
    return consumer, tps


class TopicRefused(MissingTopic):
    """The topic may be there, but the cluster's ACLs hide it from this principal (its role lacks it)."""

    def __init__(self, physical_name: str, principal: str) -> None:
        RuntimeError.__init__(
            self,
            f"not authorized to read {physical_name!r} as {principal} (TopicAuthorizationFailedError): "
            "the role of this user does not include it (docs/security.md, `citygate acl plan`)",
        )
        self.topic = physical_name


def _missing_or_refused(settings: Settings, name: str) -> MissingTopic:
    """Why `name` lists no partitions: a cluster with ACLs omits a topic the principal may not describe, as
    if it were missing; asked for by name it says which (TOPIC_AUTHORIZATION_FAILED, error code 29)."""
    connection = settings.connection()
    if not connection.uses_sasl and not connection.ssl_certfile:
        return MissingTopic(name)  # no principal of its own: ACLs cannot be what hides it
    admin = KafkaAdminClient(**connection.client_kwargs(), client_id=f"{settings.app_id}-tools")
    try:
        [described] = admin.describe_topics([name])
    except (KafkaError, ValueError):
        return MissingTopic(name)
    finally:
        admin.close()
    if described.get("error_code") == TopicAuthorizationFailedError.errno:
        return TopicRefused(name, connection.sasl_username or "the client certificate's principal")
    return MissingTopic(name)


def follow(
    settings: Settings,
    topic: str,
    *,
    from_beginning: bool = False,
    max_messages: int | None = None,
    idle_timeout: float | None = None,
) -> Iterator[bytes]:
    """Yield message values of `topic` as they arrive (no consumer group: a read-only observer)."""
    consumer, tps = assigned_consumer(settings, topic)
    try:
        if from_beginning:
            consumer.seek_to_beginning(*tps)
        else:
            consumer.seek_to_end(*tps)
        seen = 0
        last = time.monotonic()
        while max_messages is None or seen < max_messages:
            batches = consumer.poll(timeout_ms=200)
            if not batches:
                if idle_timeout is not None and time.monotonic() - last > idle_timeout:
                    return
                continue
            last = time.monotonic()
            for records in batches.values():
                for record in records:
                    if record.value is None:
                        continue
                    yield record.value
                    seen += 1
                    if max_messages is not None and seen >= max_messages:
                        return
    finally:
        consumer.close()


def read_to_end(settings: Settings, topic: str) -> Iterator[tuple[bytes | None, bytes | None]]:
    """Every (key, value) of `topic` from the beginning up to its end offsets at the call."""
    consumer, tps = assigned_consumer(settings, topic)
    try:
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    if record.offset < end[TopicPartition(record.topic, record.partition)]:
                        yield record.key, record.value
    finally:
        consumer.close()


def keys_since(settings: Settings, topic: str, since_ms: int) -> set[str]:
    """The keys of `topic`'s records from broker time `since_ms` (epoch ms) to its end offsets at the call;
    values are not read. Empty when the topic is missing or hidden from this principal (its role lacks it)."""
    try:
        consumer, tps = assigned_consumer(settings, topic)
    except MissingTopic:
        return set()
    found: set[str] = set()
    try:
        seek_to_time(consumer, tps, since_ms)
        end = consumer.end_offsets(tps)
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    if (
                        record.key is not None
                        and record.offset < end[TopicPartition(record.topic, record.partition)]
                    ):
                        found.add(record.key.decode("utf-8", "replace"))
        return found
    finally:
        consumer.close()


def read_watchlist(settings: Settings) -> dict[str, WatchlistEntry]:
    """The watchlist as the compacted topic holds it now (valid entries only), read as a replica reads it."""
    index = WatchlistIndex()
    for key, value in read_to_end(settings, WATCHLIST):
        codecs.apply_watchlist_record(index, key, value, max_bytes=settings.max_message_bytes)
    return {entry.entry_id: entry for entry in index}


def seek_to_time(consumer: KafkaConsumer, tps: Iterable[TopicPartition], since_ms: int) -> None:
    """Seek each assigned partition to its first record at or after `since_ms` (epoch ms), or to its end."""
    parts = list(tps)
    if not parts:
        return
    found = consumer.offsets_for_times(dict.fromkeys(parts, max(0, since_ms)))
    offsets = {tp: None if found.get(tp) is None else found[tp].offset for tp in parts}
    for tp, offset in starts_by_time(offsets, consumer.end_offsets(parts)).items():
        consumer.seek(tp, offset)


class BrokerLag:
    """A group's lag on one topic as the broker sees it (kafka-python, blocking: for tools and tests). Keeps
    its clients open between calls, so a tool can ask every few seconds; close it when done."""

    def __init__(self, settings: Settings, group_id: str, logical_topic: str) -> None:
        client = settings.connection().tool_client_kwargs()
        self.group_id = group_id
        self.logical_topic = logical_topic
        physical = settings.topic(logical_topic)
        self._admin = KafkaAdminClient(**client)
        self._consumer = KafkaConsumer(**client, group_id=None)
        partitions = sorted(self._consumer.partitions_for_topic(physical) or ())
        self._partitions = [TopicPartition(physical, p) for p in partitions]

    def lags(self, *, committed_only: bool = False) -> LagMap:
        """Lag per partition; with `committed_only`, partitions the group never committed are left out."""
        ends = self._consumer.end_offsets(self._partitions)
        offsets = self._admin.list_group_offsets({self.group_id: self._partitions}).get(self.group_id, {})
        topic = self.logical_topic
        committed = {
            (topic, tp.partition): (meta.offset if meta.offset >= 0 else None) for tp, meta in offsets.items()
        }
        found = {(topic, tp.partition): end for tp, end in ends.items()}
        if committed_only:
            found = {tp: end for tp, end in found.items() if committed.get(tp) is not None}
        return consumer_lag(found, committed)

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()

    def __enter__(self) -> BrokerLag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def broker_lag(settings: Settings, group_id: str, logical_topic: str) -> LagMap:
    """The group's lag on one topic, asked once (see `BrokerLag`)."""
    with BrokerLag(settings, group_id, logical_topic) as lag:
        return lag.lags()
