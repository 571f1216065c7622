"""Issue 13's classes on the real broker: a read with confusable characters where the plate grammar wants
digits alerts; a hit that arrives late (its event time before the listing) is matched exactly once, by
live matching or the retro-match; another agency's lookout is followed after its first sighting."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from streams import topics
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import load
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka


def test_a_new_energy_plate_read_with_s_for_5_and_b_for_8_alerts(cluster: Cluster) -> None:
    cluster.send(topics.WATCHLIST, live_entry("WL-NEV", "苏KD12845"), key="WL-NEV")
    cluster.flush()
    cluster.start_worker().wait_healthy()
    cluster.send(topics.HITS, live_hit("nev-1", "苏KD12B4S", candidates=[]), key="YZ-EC-0001")
    cluster.send(topics.HITS, live_hit("garbage", "苏KD1X4YZ", candidates=[]), key="YZ-EC-0001")  # no repair
    cluster.flush()
    [alert] = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 1, settle=2)
    assert alert["plate"] == "苏KD12845" and alert["plate_raw"] == "苏KD12B4S"
    match = alert["match"]
    assert match["match_type"] == "ocr_equivalent" and match["matched_text"] == "苏KD12B4S"  # type: ignore[index]
    letters = cluster.read(topics.DEADLETTER, until=lambda m: len(m) >= 1)
    assert [d["reason"]["code"] for d in letters] == ["plate_format"]  # type: ignore[index]


def test_hits_around_a_listing_are_each_matched_exactly_once(cluster: Cluster) -> None:
    cluster.start_worker().wait_healthy()
    now = datetime.now(UTC)
    seen = {"before": (20, "YZ-EC-0101"), "in_grace": (15, "YZ-EC-0102"), "late_link": (10, "YZ-EC-0103")}

    def send_hit(name: str) -> None:
        minutes_ago, checkpoint = seen[name]
        at = (now - timedelta(minutes=minutes_ago)).isoformat()
        cluster.send(
            topics.HITS, live_hit(name, "苏K12345", event_time=at, checkpoint_id=checkpoint), key=checkpoint
        )
        cluster.flush()

    send_hit("before")  # reached Kafka before anyone listed the car
    time.sleep(2)
    entry = live_entry("WL-LATE", "苏K12345", valid_from=(now - timedelta(hours=1)).isoformat())
    cluster.send(topics.WATCHLIST, entry, key="WL-LATE")
    cluster.flush()
    send_hit("in_grace")  # right after the listing: the retro-match's
    time.sleep(7)  # past the 5 s listing grace
    send_hit("late_link")  # seen 10 minutes ago, held by a slow camera link: live matching's
    alerts = cluster.read(
        topics.ALERTS, until=lambda m: len({str(a["refs"][0]["id"]) for a in m}) >= 3, settle=8
    )  # type: ignore[index]
    kinds = {str(a["refs"][0]["id"]): a["kind"] for a in alerts}  # type: ignore[index]
    assert kinds == {"before": "retro_match", "in_grace": "retro_match", "late_link": "watchlist_match"}
    per_hit = Counter(str(a["refs"][0]["id"]) for a in alerts if a["state"] == "new")  # type: ignore[index]
    assert per_hit == {"before": 1, "in_grace": 1, "late_link": 1}


def test_a_lookout_is_followed_after_its_first_sighting(cluster: Cluster) -> None:
    topology = load(generate_topology(2022))
    here = next(
        p
        for p in sorted(topology.points.values(), key=lambda p: p.id)
        if p.kind == "electronic_checkpoint" and p.ring is None and len(p.neighbours) >= 2
    )
    came_from = topology.points[here.neighbours[0]]
    lookout = live_entry(
        "WL-HA-0709",
        "苏H·T3683",
        category="lookout",
        source_agency="淮安市公安局",
        incident_id="HA-2026-0709-001",
    )
    cluster.send(topics.WATCHLIST, lookout, key="WL-HA-0709")
    cluster.flush()
    cluster.start_worker().wait_healthy()
    now = datetime.now(UTC)
    for n, (point, seconds_ago) in enumerate([(came_from, 40), (here, 10)]):
        hit = live_hit(
            f"taxi-{n}",
            "苏HT3683",
            checkpoint_id=point.id,
            event_time=(now - timedelta(seconds=seconds_ago)).isoformat(),
            candidates=[],
        )
        cluster.send(topics.HITS, hit, key=point.id)
        cluster.flush()
    alerts = cluster.read(
        topics.ALERTS, until=lambda m: any(a["kind"] == "intercept_ahead" for a in m), settle=3
    )
    kinds = Counter(str(a["kind"]) for a in alerts)
    assert kinds["lookout_sighting"] == 1 and kinds["intercept_ahead"] == 1
    [ahead] = [a for a in alerts if a["kind"] == "intercept_ahead"]
    assert ahead["checkpoint_id"] == here.id and ahead["incident_id"] == "HA-2026-0709-001"
    assert ahead["intercept"]["points"] and ahead["plate"] == "苏HT3683"  # type: ignore[index]
