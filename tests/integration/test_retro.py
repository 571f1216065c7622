"""Retro-match on the real broker: a plate listed now is found in the hits of the last hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams import topics
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka


def test_new_entry_finds_past_sightings(cluster: Cluster) -> None:
    cluster.start_worker()
    now = datetime.now(UTC)
    # The getaway car passed two sites before anyone knew; a read from 7 h ago is beyond the 6 h horizon.
    for hit_id, minutes_ago, checkpoint in [
        ("old", 420, "YZ-EC-0003"),
        ("p1", 95, "YZ-EC-0001"),
        ("p2", 94.5, "YZ-EC-0001"),
        ("p3", 30, "YZ-EC-0002"),
    ]:
        at = (now - timedelta(minutes=minutes_ago)).isoformat()
        cluster.send(
            topics.HITS, live_hit(hit_id, "苏K12345", event_time=at, checkpoint_id=checkpoint), key=checkpoint
        )
    cluster.send(topics.HITS, live_hit("someone-else", "苏A00001"), key="YZ-EC-0009")
    cluster.flush()
    # Nothing is listed yet: no live alerts. Now the 110 call names the car.
    cluster.send(
        topics.WATCHLIST,
        live_entry(
            "WL-GETAWAY", "苏K12345", category="incident", valid_from=(now - timedelta(hours=6)).isoformat()
        ),
        key="WL-GETAWAY",
    )
    cluster.flush()
    alerts = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 2, settle=3)
    assert all(a["kind"] == "retro_match" for a in alerts)
    sightings = sorted((a["checkpoint_id"], a["sightings"]["count"]) for a in alerts)  # type: ignore[index]
    assert sightings == [("YZ-EC-0001", 2), ("YZ-EC-0002", 1)]
