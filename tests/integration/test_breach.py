"""Issue 5's ring breach on the real broker: the getaway car, listed from the call, is read heading out at an
urban-ring checkpoint → a top-priority ring_breach alert and the lockdown escalates to the city ring."""

from __future__ import annotations

import pytest

from streams import topics
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import load
from tests.integration.conftest import Cluster
from tests.integration.test_drill import drill_call
from tests.integration.test_hits_to_alerts import live_hit

pytestmark = pytest.mark.kafka


def test_ring_breach_escalates(cluster: Cluster) -> None:
    topology = load(generate_topology(2022))
    urban = next(p for p in topology.points_on("urban") if p.kind == "electronic_checkpoint")
    cluster.start_worker()
    vehicle = {"plate": "苏K8B693", "colour": "黑色", "type": "car"}
    cluster.send(topics.CALLS, drill_call("110-7", vehicle=vehicle), key="110-7")
    cluster.flush()
    [raised] = cluster.read(topics.LOCKDOWNS, until=lambda m: len(m) >= 1)
    assert raised["rings"] == ["core", "urban", "city"]
    cluster.read(topics.WATCHLIST, until=lambda m: len(m) >= 1)
    cluster.wait_past_listing()  # a live sighting, not one the retro-match finds
    hit = live_hit("breach-1", "苏K8B693", checkpoint_id=urban.id, direction="outbound", candidates=[])
    cluster.send(topics.HITS, hit, key=urban.id)
    cluster.flush()
    alerts = cluster.read(topics.ALERTS, until=lambda m: any(a["kind"] == "ring_breach" for a in m))
    [match] = [a for a in alerts if a["kind"] == "watchlist_match"]
    assert match["ring"] == "urban"  # the checkpoint guards the urban ring
    [breach] = [a for a in alerts if a["kind"] == "ring_breach"]
    assert (
        breach["priority"] == 1
        and breach["ring"] == "urban"
        and breach["incident_id"] == raised["incident_id"]
    )
    events = cluster.read(topics.LOCKDOWNS, until=lambda m: any(e["type"] == "escalated" for e in m))
    [escalated] = [e for e in events if e["type"] == "escalated"]
    assert escalated["rings"] == ["city"] and escalated["given_up"] == ["core", "urban"]
