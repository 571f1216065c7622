"""Matching as operators see it on the real broker: OCR equivalence and dedup of repeated reads."""

from __future__ import annotations

import pytest

from streams import topics
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka


def test_repeated_reads_are_one_alert_updated_and_ocr_variants_match(cluster: Cluster) -> None:
    cluster.env["CITYGATE_DEDUP_UPDATE_EVERY_S"] = "1"
    cluster.send(topics.WATCHLIST, live_entry("WL-1", "苏KB0693"), key="WL-1")
    cluster.flush()
    cluster.start_worker().wait_healthy()
    cluster.wait_past_listing()  # live reads, each folded into the one alert
    # Five reads of one car at one site (three lanes, several frames), one of them misread 8 for B.
    for n, (plate, lane) in enumerate(
        [("苏KB0693", 1), ("苏KB0693", 2), ("苏K80693", 2), ("苏KB0693", 3), ("苏KB0693", 1)]
    ):
        hit = live_hit(f"read-{n}", plate, lane=lane, checkpoint_id="YZ-EC-0009", candidates=[])
        cluster.send(topics.HITS, hit, key="YZ-EC-0009")
    cluster.send(
        topics.HITS,
        live_hit("elsewhere", "苏K80693", checkpoint_id="YZ-EC-0010", candidates=[]),
        key="YZ-EC-0010",
    )
    cluster.flush()

    def complete(messages: list[dict[str, object]]) -> bool:
        counts = [m["sightings"]["count"] for m in messages if m["checkpoint_id"] == "YZ-EC-0009"]  # type: ignore[index]
        return 5 in counts and any(m["checkpoint_id"] == "YZ-EC-0010" for m in messages)

    alerts = cluster.read(topics.ALERTS, until=complete, settle=2)
    at_site = [a for a in alerts if a["checkpoint_id"] == "YZ-EC-0009"]
    assert len({a["alert_id"] for a in at_site}) == 1  # one alert ...
    assert len(at_site) < 5  # ... not a flood
    assert at_site[0]["state"] == "new" and at_site[-1]["state"] == "updated"
    assert at_site[-1]["sightings"]["lanes"] == [1, 2, 3]  # type: ignore[index]
    [other] = [a for a in alerts if a["checkpoint_id"] == "YZ-EC-0010"]
    assert other["match"]["match_type"] == "ocr_equivalent"  # type: ignore[index]
    assert other["match"]["differences"] == [{"position": 2, "read": "8", "listed": "B"}]  # type: ignore[index]
