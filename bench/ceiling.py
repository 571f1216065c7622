"""The client ceiling: a plain aiokafka getmany loop that JSON-decodes each hit and does nothing else.

Run by the harness as `python -m bench.ceiling ...` in its own process, like `raw_loop.py`. No matching, no
producing; offsets are committed only so the harness can see progress and the end (every 0.2 s, and once
more when a fetch comes back empty). Why: citygate / this is the share of what
aiokafka + orjson alone can do on this machine that citygate reaches with all its work per hit, so the
figure says how much room is left above the raw loop's ceiling (which does citygate's domain work too).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer

# Often enough that the harness (polling the group every 0.5 s) sees the end of a drain that lasts only a
# few seconds without a second's error; one commit round trip every 0.2 s costs next to nothing.
COMMIT_EVERY_S = 0.2


async def run(args: argparse.Namespace) -> None:
    consumer = AIOKafkaConsumer(
        args.hits_topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    Path(args.ready_file).write_text("0\n")
    handled = 0
    uncommitted = False
    last_commit = time.monotonic()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=args.batch)
            for records in batches.values():
                for record in records:
                    orjson.loads(record.value)
                handled += len(records)
            uncommitted = uncommitted or bool(batches)
            if uncommitted and (not batches or time.monotonic() - last_commit >= COMMIT_EVERY_S):
                await consumer.commit()
                uncommitted = False
                last_commit = time.monotonic()
    finally:
        await consumer.stop()
        print(f"ceiling: decoded {handled} hits", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--hits-topic", required=True)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--batch", type=int, default=1000, help="max records per getmany (the raw loop's)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
