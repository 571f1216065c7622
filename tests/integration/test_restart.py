"""A worker killed without warning and restarted: nothing lost, nothing matched against half a watchlist."""

from __future__ import annotations

import pytest

from streams import topics
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka

FILLER = 3000


def test_killed_worker_restarts_with_full_watchlist(cluster: Cluster) -> None:
    cluster.env["CITYGATE_SESSION_TIMEOUT_S"] = "6"  # let the group drop the dead worker quickly
    cluster.send(topics.WATCHLIST, live_entry("WL-A", "苏K12345"), key="WL-A")
    first = cluster.start_worker("first")
    cluster.send(topics.HITS, live_hit("h1", "苏K12345", checkpoint_id="YZ-EC-0001"), key="YZ-EC-0001")
    cluster.flush()
    cluster.read(topics.ALERTS, until=lambda m: len(m) >= 1)
    first.kill()

    # While no worker runs: a long watchlist whose last entry is the one the next hit needs.
    for n in range(FILLER):
        cluster.send(topics.WATCHLIST, live_entry(f"WL-F{n}", f"苏A{n:05d}"), key=f"WL-F{n}")
    cluster.send(topics.WATCHLIST, live_entry("WL-LATE", "苏K77777", category="wanted"), key="WL-LATE")
    cluster.send(topics.HITS, live_hit("h2", "苏K12345", checkpoint_id="YZ-EC-0002"), key="YZ-EC-0002")
    cluster.send(topics.HITS, live_hit("h3", "苏K77777", checkpoint_id="YZ-EC-0003"), key="YZ-EC-0003")
    cluster.flush()

    second = cluster.start_worker("second")
    alerts = cluster.read(
        topics.ALERTS,
        until=lambda m: {a["refs"][0]["id"] for a in m} >= {"h1", "h2", "h3"},
        timeout=120,
        settle=2,
    )
    ids_by_hit: dict[str, set[str]] = {}
    for alert in alerts:
        ids_by_hit.setdefault(str(alert["refs"][0]["id"]), set()).add(str(alert["alert_id"]))  # type: ignore[index]
    assert set(ids_by_hit) == {"h1", "h2", "h3"}
    # h1 may be replayed (its offset commit may have died with the first worker), but never as a new alert.
    assert all(len(ids) == 1 for ids in ids_by_hit.values())
    assert 'citygate_watchlist_entries{category="lookout"}' in second.metrics()
    assert f'citygate_watchlist_entries{{category="stolen"}} {FILLER + 1}.0' in second.metrics()
