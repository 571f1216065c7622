"""`citygate simulate` on the real broker: its traffic reaches a real worker, and a sample watchlist of
simulated cars makes watchlist_match alerts within seconds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from streams import topics
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import load
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.kafka

SEED = 11


def test_simulated_traffic_reaches_the_worker_and_sampled_cars_alert(cluster: Cluster) -> None:
    cluster.start_worker()
    # One simulated minute in six real seconds, ending about now (the worker refuses hits from the future).
    run = subprocess.run(
        [
            sys.executable, "-m", "streams.cli", "simulate", "--rate", "0.2", "--speed", "10",
            "--seconds", "60", "--watchlist-sample", "4", "--seed", str(SEED),
        ],
        env=cluster.env,
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    sent = re.search(r"sent ([\d,]+) hits .* ([\d,]+) reports, (\d+) watchlist entries", run.stdout)
    assert sent is not None, run.stdout
    hits_sent, reports_sent = (int(sent.group(n).replace(",", "")) for n in (1, 2))
    assert int(sent.group(3)) == 4 and hits_sent > 0

    entries = cluster.read(topics.WATCHLIST, until=lambda found: len(found) >= 4)
    assert sorted(e["entry_id"] for e in entries) == [f"SIM-WL-{SEED}-{n:03d}" for n in range(1, 5)]
    sampled = {str(e["plate"]) for e in entries}

    # Every hit the simulator counted is on the topic (it flushed), at the topology's own checkpoints.
    hits = cluster.read(topics.HITS, until=lambda found: len(found) >= hits_sent, settle=1.0)
    assert len(hits) == hits_sent
    checkpoints = {p.id for p in load(generate_topology(2022)).points.values()}
    assert {h["checkpoint_id"] for h in hits} <= checkpoints
    if reports_sent:
        assert len(cluster.read(topics.PATROL_REPORTS, until=lambda found: len(found) >= reports_sent)) == (
            reports_sent
        )

    def sampled_car_alerted(alerts: list[dict[str, object]]) -> bool:
        return any(
            a["kind"] == "watchlist_match" and a["match"]["listed_plate"] in sampled  # type: ignore[index]
            for a in alerts
        )

    alerts = cluster.read(topics.ALERTS, until=sampled_car_alerted, timeout=30)
    matched = [a for a in alerts if a["kind"] == "watchlist_match"]
    assert all(str(a["match"]["entry_id"]).startswith(f"SIM-WL-{SEED}-") for a in matched)  # type: ignore[index]
