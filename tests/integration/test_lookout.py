"""Seed case 2 on the real broker: Huai'an's lookout for the robbers' taxi → its first checkpoint sighting in
Baoying alerts the nearest workstation (Taishan) with the checkpoints ahead."""

from __future__ import annotations

import pytest

from streams import topics
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import load
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka


def test_cross_city_lookout(cluster: Cluster) -> None:
    topology = load(generate_topology(2022))
    baoying = min(
        (p for p in topology.points.values() if p.kind == "electronic_checkpoint"),
        key=lambda p: (p.location[0] - 119.31) ** 2 + (p.location[1] - 33.23) ** 2,
    )
    lookout = live_entry(
        "WL-HA-0708",
        "苏H·T3682",
        category="lookout",
        source_agency="淮安市公安局",
        added_by="huaian-duty-officer",
        incident_id="HA-2026-0708-017",
        reason="涟水县高沟镇持刀抢劫三名被害人，三名嫌疑人乘出租车逃离",
    )
    cluster.send(topics.WATCHLIST, lookout, key="WL-HA-0708")
    cluster.flush()
    cluster.start_worker()
    for n in range(2):  # the taxi passes two lanes' cameras: one lookout alert, not two
        hit = live_hit(
            f"taxi-{n}", "苏HT3682", checkpoint_id=baoying.id, lane=n + 1, vehicle_type="taxi", candidates=[]
        )
        cluster.send(topics.HITS, hit, key=baoying.id)
    cluster.flush()
    alerts = cluster.read(
        topics.ALERTS, until=lambda m: any(a["kind"] == "lookout_sighting" for a in m), settle=3
    )
    [found] = [a for a in alerts if a["kind"] == "lookout_sighting"]
    assert found["dispatch"]["workstation"] == "WS-15"  # 泰山警务工作站, Baoying  # type: ignore[index]
    assert found["intercept"]["points"] and found["incident_id"] == "HA-2026-0708-017"  # type: ignore[index]
