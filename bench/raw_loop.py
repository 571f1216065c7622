"""The "Python ceiling" baseline: a plain aiokafka getmany loop doing citygate's per-hit work, no Faust.

Run by the harness as `python -m bench.raw_loop ...` in its own process (so its CPU time and memory can be
measured like a worker's). Same domain functions (bench/matcher.py), same at-least-once order as citygate:
alerts of a batch are handed to the producer without awaiting each send, their delivery is awaited at the
batch end, then the batch's offsets are committed. What is left is the cost of Faust itself.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.matcher import Matcher


async def load_watchlist(matcher: Matcher, bootstrap: str, topic: str, timeout: float = 60.0) -> None:
    """Read the compacted watchlist from the beginning to its end offsets, like citygate's replica."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not tps:
            cluster = await consumer._client.fetch_all_metadata()
            tps = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or [])]
        if not tps:
            raise SystemExit(f"raw_loop: topic {topic} does not exist")
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout
        while True:
            positions = [await consumer.position(tp) for tp in tps]
            if all(position >= end[tp] for position, tp in zip(positions, tps, strict=True)):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"raw_loop: watchlist not loaded after {timeout:.0f}s")
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for record in records:
                    matcher.load(record.key, record.value, record.timestamp)
    finally:
        await consumer.stop()


async def run(args: argparse.Namespace) -> None:
    matcher = Matcher()
    await load_watchlist(matcher, args.bootstrap, args.watchlist_topic)
    consumer = AIOKafkaConsumer(
        args.hits_topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, acks="all")
    await producer.start()
    await consumer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    Path(args.ready_file).write_text(f"{len(matcher.index)}\n")
    handled = 0
    last_flush = time.monotonic()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=args.batch)
            now = datetime.now(UTC)
            pending = []
            for records in batches.values():
                for record in records:
                    emitted = matcher.handle(
                        record.value, record.partition, record.offset, now, record.timestamp
                    )
                    for out in emitted:
                        topic = args.restricted_topic if out.restricted else args.alerts_topic
                        pending.append(await producer.send(topic, key=out.key, value=out.value))
                handled += len(records)
            if time.monotonic() - last_flush >= 1.0:
                last_flush = time.monotonic()
                for out in matcher.flush(now):
                    topic = args.restricted_topic if out.restricted else args.alerts_topic
                    pending.append(await producer.send(topic, key=out.key, value=out.value))
            if pending:
                await asyncio.gather(*pending)
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()
        print(f"raw_loop: handled {handled} hits, {matcher.invalid} invalid", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--hits-topic", required=True)
    parser.add_argument("--watchlist-topic", required=True)
    parser.add_argument("--alerts-topic", required=True)
    parser.add_argument("--restricted-topic", required=True)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--batch", type=int, default=1000, help="max records per getmany (citygate: 1000)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
