"""Quix Streams baseline: the same per-hit work in a Quix Streams Application (librdkafka underneath).

Run by the harness as `<python with quixstreams> -m bench.quix_baseline ...`: a StreamingDataFrame over
anpr.hits whose `apply` runs bench/matcher.py (citygate's domain functions) and expands each hit into the
alerts it yields; `to_topic` routes each alert to alerts or alerts.restricted. Quix has no timers, so dedup
updates that come due are flushed from the message path (checked once a second), as close as it gets to
citygate's 1 s timer. Imports no aiokafka / kafka-python: the venv it runs in may have only quixstreams.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def load_watchlist(matcher: Any, bootstrap: str, topic: str, timeout: float = 60.0) -> None:
    """Read the compacted watchlist from the beginning to its end offsets (confluent-kafka, no group)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "bench-quix-watchlist", "enable.auto.commit": False}
    )
    try:
        metadata = consumer.list_topics(topic, timeout=30)
        partitions = sorted(metadata.topics[topic].partitions)
        if not partitions:
            raise SystemExit(f"quix_baseline: topic {topic} does not exist")
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in partitions
        }
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        behind = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + timeout
        while behind:
            if time.monotonic() > deadline:
                raise SystemExit(f"quix_baseline: watchlist not loaded after {timeout:.0f}s")
            for message in consumer.consume(num_messages=5000, timeout=0.5):
                if message.error():
                    continue
                matcher.load(message.key(), message.value(), message.timestamp()[1])
                if message.offset() + 1 >= ends[message.partition()]:
                    behind.discard(message.partition())
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--hits-topic", required=True)
    parser.add_argument("--watchlist-topic", required=True)
    parser.add_argument("--alerts-topic", required=True)
    parser.add_argument("--restricted-topic", required=True)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--state-dir", required=True)
    args = parser.parse_args()

    from quixstreams import Application
    from quixstreams.context import message_context
    from quixstreams.models.serializers import SerializationContext, Serializer

    from bench.matcher import Emitted, Matcher

    class EmittedValue(Serializer):
        """An `Emitted` alert is already encoded by citygate's codec: write its bytes as they are."""

        def __call__(self, value: Emitted, ctx: SerializationContext) -> bytes:
            return value.value

    matcher = Matcher()
    load_watchlist(matcher, args.bootstrap, args.watchlist_topic)
    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        loglevel="WARNING",
        auto_create_topics=False,
        use_changelog_topics=False,
    )
    hits = app.topic(args.hits_topic, key_deserializer="bytes", value_deserializer="bytes")
    alerts = app.topic(args.alerts_topic, key_serializer="bytes", value_serializer=EmittedValue())
    restricted = app.topic(args.restricted_topic, key_serializer="bytes", value_serializer=EmittedValue())
    last_flush = [time.monotonic()]

    def handle(value: bytes, key: Any, timestamp: int, headers: Any) -> list[Emitted]:
        context = message_context()
        now = datetime.now(UTC)
        out = matcher.handle(value, context.partition, context.offset, now, timestamp)
        if time.monotonic() - last_flush[0] >= 1.0:
            last_flush[0] = time.monotonic()
            out.extend(matcher.flush(now))
        return out

    def route(value: Emitted, key: Any, timestamp: int, headers: Any) -> Any:
        return restricted if value.restricted else alerts

    sdf = app.dataframe(hits)
    sdf = sdf.apply(handle, expand=True, metadata=True)
    sdf.to_topic(route, key=lambda emitted: emitted.key)
    Path(args.ready_file).write_text(f"{len(matcher.index)}\n")
    app.run()


if __name__ == "__main__":
    main()
