"""The benchmark's profile summary: own time grouped by package, shares that add up."""

from __future__ import annotations

import cProfile
from pathlib import Path

from bench.profile import bucket_of, render, summarise
from streams.domain.matching.plates import normalise_plate


def test_own_time_is_grouped_by_package_and_the_shares_add_up(tmp_path: Path) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(20_000):
        normalise_plate(f"苏K·{n % 100000:05d}")
    profiler.disable()
    path = tmp_path / "run.pstats"
    profiler.dump_stats(str(path))

    summary = summarise(path, top=3)
    shares = summary["share_by_bucket"]
    assert isinstance(shares, dict)
    assert shares["citygate domain (decode, validate, match, dedup)"] > 0.2
    top = summary["top_functions"]
    assert isinstance(top, list) and len(top) == 3
    assert "normalise_plate" in render(summary)


def test_buckets_follow_the_file_a_function_lives_in() -> None:
    assert bucket_of("/x/site-packages/aiokafka/consumer/fetcher.py").startswith("aiokafka")
    root = Path(__file__).resolve().parents[3]
    assert bucket_of(f"{root}/streams/domain/matching/alerts.py").startswith("citygate domain")
    assert bucket_of(f"{root}/streams/worker/sensor/consumer.py").startswith("citygate adapters")
    assert bucket_of("/x/site-packages/faust/streams/stream.py").startswith("faust")  # not citygate's
    assert bucket_of("/x/site-packages/quixstreams/worker/app.py") == "other"
    assert bucket_of("/x/site-packages/mode/services.py").startswith("faust")
    assert bucket_of("~").startswith("json")
    assert bucket_of("/usr/lib/python3.11/ssl.py") == "other"
    assert bucket_of("~", "<method 'poll' of 'select.epoll' objects>").startswith("idle")
