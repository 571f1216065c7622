"""The soak's plot draws a PNG from samples and again from a results file (matplotlib is a dev
dependency, so this runs in every tier)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import orjson

from bench.soak.plot import draw, redraw
from bench.soak.summary import Outcome, summarise
from tests.unit.bench.fixtures import TARGETS, WORKERS, sample

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_plot_is_drawn_and_drawn_again_from_the_results(tmp_path: Path) -> None:
    samples = [sample(10.0 * n, 100.0 + n % 2) for n in range(1, 19)]
    samples.append(sample(182.0, 101.0, lag=0, phase="drain", offered=0, offered_per_s=0.0))
    samples[4].lag = None  # a sample the broker could not answer: a gap, not a crash
    path = draw(tmp_path / "soak.png", samples, WORKERS, [], TARGETS, "a title\nsoak: met its targets")
    assert path.read_bytes().startswith(PNG)

    outcome = Outcome(offered=270_000, traffic_s=180.0, drained_s=1.0, lag_at_end=0)
    summary, _ = summarise(samples, outcome, TARGETS, WORKERS, [], [])
    document = {
        "machine": {"git_commit": "0123456789abcdef", "cpu_count": 2},
        "settings": {**asdict(TARGETS), "brokers": 3},
        "summary": summary,
        "samples": [asdict(s) for s in samples],
    }
    results = tmp_path / "soak-x.json"
    results.write_bytes(orjson.dumps(document))
    assert redraw(results).read_bytes().startswith(PNG)
