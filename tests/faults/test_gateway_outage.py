"""The HTTP gateway with the whole cluster stopped under it (issue 18): it answers 503 (the camera keeps its
reads), says why on /health, and once the cluster is back the cameras' retried posts arrive exactly once
per hit id, the posts it had already acknowledged included."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams import topics
from tests.faults.city import City, city_on
from tests.faults.conftest import KafkaCluster
from tests.gateway import OPENALPR_CAMERA, GatewayProcess
from tests.vendor_payloads import alpr_results

pytestmark = pytest.mark.faults


@pytest.fixture
def city(kafka_cluster: KafkaCluster, tmp_path: Path) -> Iterator[City]:
    yield from city_on(kafka_cluster.bootstrap, tmp_path)


def test_with_the_cluster_stopped_posts_get_503_and_their_retries_arrive_exactly_once(
    city: City, kafka_cluster: KafkaCluster, tmp_path: Path
) -> None:
    gateway = GatewayProcess.start(city.settings, city.cluster.env, tmp_path)
    try:
        before = [alpr_results(OPENALPR_CAMERA, f"苏K1{n:04d}", uuid_tail=f"before-{n}") for n in range(5)]
        for frame in before:
            assert gateway.post("/v1/openalpr", frame).status == 200
        during = [alpr_results(OPENALPR_CAMERA, f"苏K2{n:04d}", uuid_tail=f"during-{n}") for n in range(4)]
        kafka_cluster.run("stop")
        try:
            for frame in during:
                answer = gateway.post("/v1/openalpr", frame)
                assert answer.status == 503, answer.body
                assert answer.headers.get("Retry-After"), answer.headers
            health = gateway.get("/health")
            assert health.status == 503, health.body
            assert any(str(p).startswith("brokers_unavailable") for p in health.body["problems"]), health.body
        finally:
            kafka_cluster.run("start", "--brokers", str(kafka_cluster.brokers))
        # The cameras retry everything they were not given a 2xx for, and some posts they were.
        expected: set[str] = set()
        for frame in [*during, *before[:2]]:
            deadline = time.monotonic() + 120
            while (answer := gateway.post("/v1/openalpr", frame)).status != 200:
                assert answer.status == 503 and time.monotonic() < deadline, answer.body
                time.sleep(1)
            expected.update(answer.body["hit_ids"])
        gateway.wait_for(lambda: gateway.get("/health").status == 200, timeout=60)
        hits = city.cluster.read(
            topics.HITS, until=lambda found: len(found) >= len(before) + len(during), settle=3
        )
        ids = [str(hit["hit_id"]) for hit in hits]
        assert len(ids) == len(set(ids)) == len(before) + len(during), sorted(ids)
        assert expected <= set(ids)
    finally:
        gateway.stop()
