"""The hits consumer (streams/sensor.py) on its own against the real broker: what it commits, and when.

The worker tests cover hits → alerts end to end; here the batch handler is ours, so a failure can be made to
happen exactly once and the committed offsets checked against what was really handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

import pytest

from streams import topics
from streams.health import broker_lag
from streams.sensor import HitsConsumer, InputRecord
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.kafka

HITS = 40


async def test_a_failed_batch_is_read_again_and_nothing_is_committed_past_it(cluster: Cluster) -> None:
    for n in range(HITS):
        cluster.send(topics.HITS, {"n": n}, key=f"EC-{n % 8:04d}")
    cluster.flush()
    handled: list[tuple[int, int]] = []
    failed: list[int] = []
    flushes_before_commit: list[int] = []

    async def process(records: Sequence[InputRecord]) -> None:
        if not failed:  # the first batch fails as a whole, as a producer refusing a send would make it
            failed.append(len(records))
            raise RuntimeError("producer refused the batch")
        handled.extend((r.partition, r.offset) for r in records)

    async def flush_outputs() -> None:
        flushes_before_commit.append(len(handled))

    async def ready() -> None:
        return None

    settings = replace(cluster.settings, hits_commit_interval_s=0.0)  # commit after every batch
    sensor = HitsConsumer(settings, process=process, flush_outputs=flush_outputs, wait_ready=ready)
    await sensor.start()
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while len(set(handled)) < HITS:
            assert asyncio.get_running_loop().time() < deadline, f"handled {len(set(handled))} of {HITS}"
            await asyncio.sleep(0.1)
        while set(lag := broker_lag(settings, settings.hits_group, topics.HITS).values()) != {0}:
            assert asyncio.get_running_loop().time() < deadline, f"still behind on the broker: {lag}"
            await asyncio.sleep(0.2)
    finally:
        await sensor.stop()

    assert failed and failed[0] > 0
    assert sorted(handled) == sorted(set(handled))  # the failed batch once more, and every hit once
    assert flushes_before_commit  # outputs are flushed before offsets are committed
    # Committed up to the end while running (the retried batch too), and still so after the stop.
    assert set(broker_lag(settings, settings.hits_group, topics.HITS).values()) == {0}
