"""The soak's arithmetic on made-up samples: the flatness rule, latency per interval, the verdict's one line,
the options, and the results file's samples read back."""

from __future__ import annotations

from dataclasses import asdict, replace

import orjson
import pytest

from bench.soak.__main__ import default_warmup_s, parse_args, targets_of
from bench.soak.run import parse_pids
from bench.soak.summary import (
    Outcome,
    Sample,
    Targets,
    flatness,
    latency_stats,
    sample_from_dict,
    slope,
    summarise,
    verdict,
    worker_series,
)
from tests.unit.bench.fixtures import TARGETS, WORKERS, sample


def soak(rss: list[float], **kw: object) -> list[Sample]:
    """One sample every 10 s with these RSS figures for both workers."""
    return [sample(10.0 * (n + 1), r, **kw) for n, r in enumerate(rss)]  # type: ignore[arg-type]


GOOD = Outcome(
    offered=270_000, traffic_s=180.0, matching_sent=270, alerts_timed=270, drained_s=1.5, lag_at_end=0
)


def points(values: list[float], every: float = 10.0) -> list[tuple[float, float]]:
    return [(every * (n + 1), v) for n, v in enumerate(values)]


# ---- flatness ---------------------------------------------------------------------------------------


def test_a_flat_resident_set_is_flat() -> None:
    flat = flatness("w", points([100.0 + (n % 3) * 0.5 for n in range(30)]), warmup_s=60)
    assert flat.flat is True
    assert flat.samples == 25  # t = 60 ... 300
    assert flat.window == 3  # 10% of 25 is 2: at least 3
    assert flat.start_mb is not None and 100 <= flat.start_mb <= 101


def test_growth_during_the_warm_up_is_not_judged() -> None:
    warming = [60.0, 80.0, 95.0, 99.0, 100.0]  # t = 10..50, all before the 60 s warm-up ends
    flat = flatness("w", points(warming + [100.0] * 20), warmup_s=60)
    assert flat.flat is True
    assert flat.growth_share == 0.0


def test_growth_past_the_share_after_the_warm_up_is_not_flat() -> None:
    rising = [100.0 + n for n in range(30)]  # +1 MB / 10 s: ~+24% over the steady part
    flat = flatness("w", points(rising), warmup_s=60)
    assert flat.flat is False
    assert flat.growth_share is not None and flat.growth_share > 0.10
    assert flat.slope_mb_per_h == pytest.approx(360.0)  # 1 MB / 10 s


def test_growth_just_inside_the_share_is_flat() -> None:
    steady = [100.0] * 10 + [109.0] * 10
    flat = flatness("w", [(60.0 + 10 * n, v) for n, v in enumerate(steady)], warmup_s=60)
    assert flat.flat is True
    assert flat.growth_share == 0.09


def test_one_spike_at_the_end_decides_nothing() -> None:
    values = [100.0] * 29 + [150.0]  # a collection's peak in the very last sample
    assert flatness("w", points(values), warmup_s=60).flat is True


def test_giving_memory_back_is_flat() -> None:
    assert flatness("w", points([120.0] * 10 + [100.0] * 20), warmup_s=0).flat is True


def test_too_few_samples_after_the_warm_up_cannot_be_judged() -> None:
    flat = flatness("w", points([100.0] * 10), warmup_s=60)  # t = 60..100: 5 samples, 2 windows need 6
    assert flat.flat is None
    assert flat.samples == 5


def test_the_window_is_a_tenth_of_a_long_soak() -> None:
    # 30 minutes at one sample every 10 s after a 5-minute warm-up: 151 steady samples, windows of 15.
    flat = flatness("w", points([100.0] * 180), warmup_s=300)
    assert (flat.samples, flat.window) == (151, 15)


def test_slope_of_a_line_and_of_too_little() -> None:
    assert slope([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert slope([(5, 1.0)]) is None
    assert slope([(5, 1.0), (5, 2.0)]) is None


# ---- latency ----------------------------------------------------------------------------------------


def test_latency_percentiles_per_interval() -> None:
    stats = latency_stats([float(n) for n in range(1, 101)])
    assert (stats.count, stats.p50_ms, stats.p99_ms, stats.max_ms) == (100, 50.5, 99.0, 100.0)


def test_an_interval_without_alerts_has_no_percentiles() -> None:
    assert asdict(latency_stats([])) == {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}


# ---- the verdict ------------------------------------------------------------------------------------


def flats_of(samples: list[Sample], targets: Targets = TARGETS) -> list:  # type: ignore[type-arg]
    return [flatness(w, worker_series(samples, w), targets.warmup_s) for w in WORKERS]


def test_a_good_soak_meets_its_targets_in_one_line() -> None:
    samples = soak([100.0] * 18)
    decided = verdict(samples, GOOD, TARGETS, flats_of(samples))
    assert decided.passed
    assert all(decided.checks.values())
    assert decided.line.startswith("soak: met its targets: RSS flat after the warm-up (worker1 +0.0%")
    assert "\n" not in decided.line


def test_a_worker_whose_memory_grows_fails_and_is_named() -> None:
    samples = soak([100.0] * 6 + [100.0 + 3 * n for n in range(12)])
    for s in samples:
        s.rss_mb["worker1"] = 100.0
    decided = verdict(samples, GOOD, TARGETS, flats_of(samples))
    assert not decided.passed and not decided.checks["memory_flat"]
    assert decided.line.startswith("soak: FAILED: worker2's RSS grew +")
    assert "limit is 10%" in decided.line


def test_a_lag_beyond_the_bound_after_the_warm_up_fails() -> None:
    samples = soak([100.0] * 18)
    samples[3].lag = 900_000  # during the warm-up: a rebalance, not judged
    assert verdict(samples, GOOD, TARGETS, flats_of(samples)).passed
    samples[10].lag = 15_001
    decided = verdict(samples, GOOD, TARGETS, flats_of(samples))
    assert decided.line == (
        "soak: FAILED: lag reached 15,001 hits after the warm-up (bound 15,000: 10 s of offered hits)"
    )


def test_a_lag_that_never_drains_fails() -> None:
    samples = soak([100.0] * 18)
    decided = verdict(samples, replace(GOOD, drained_s=None, lag_at_end=420), TARGETS, flats_of(samples))
    assert decided.line == "soak: FAILED: lag still 420 hits 60 s after the traffic stopped"


def test_unread_lag_is_a_failure_not_a_pass() -> None:
    samples = soak([100.0] * 18, lag=None)
    decided = verdict(samples, GOOD, TARGETS, flats_of(samples))
    assert not decided.checks["lag_bounded"]
    assert "could not be read" in decided.line


def test_lost_alerts_and_a_low_rate_fail_and_the_rest_are_counted() -> None:
    samples = soak([100.0] * 18)
    outcome = replace(GOOD, offered=200_000, missing=3)
    decided = verdict(samples, outcome, TARGETS, flats_of(samples))
    assert decided.line.startswith("soak: FAILED: offered only 1,111 hits/s of 1,500")
    assert decided.line.endswith("(and 1 more)")
    assert not decided.checks["alerts"] and not decided.checks["rate"]


def test_a_soak_too_short_for_the_warm_up_says_so() -> None:
    samples = soak([100.0] * 8)  # 80 s: 3 samples after the 60 s warm-up
    decided = verdict(samples, GOOD, TARGETS, flats_of(samples))
    assert "too few samples after the 60 s warm-up to judge memory (3; need 6)" in decided.line


def test_drain_samples_are_not_judged_for_memory() -> None:
    samples = soak([100.0] * 18) + [sample(185.0, 200.0, lag=0, phase="drain")]
    assert [t for t, _ in worker_series(samples, "worker1")][-1] == 180.0
    assert verdict(samples, GOOD, TARGETS, flats_of(samples)).passed


def test_the_summary_has_the_figures_and_is_json() -> None:
    samples = soak([90.0] + [100.0] * 17) + [sample(181.0, 100.0, lag=0, phase="drain")]
    samples[8].lag = 4000
    summary, decided = summarise(samples, GOOD, TARGETS, WORKERS, [10.0, 20.0, 30.0], [12.0, 25.0])
    assert decided.passed and summary["passed"] is True
    assert summary["lag_max"] == 4000 and summary["lag_max_after_warmup"] == 4000
    assert summary["lag_bound"] == 15_000
    assert summary["offered_per_s"] == 1500.0
    workers = summary["workers"]
    assert isinstance(workers, dict)
    assert workers["worker1"]["rss_first_mb"] == 90.0 and workers["worker1"]["rss_last_mb"] == 100.0
    assert workers["worker1"]["flatness"]["flat"] is True
    assert summary["latency_to_alert_timestamp"] == {
        "count": 3,
        "p50_ms": 20.0,
        "p99_ms": 29.8,
        "max_ms": 30.0,
    }
    orjson.dumps(summary)


def test_a_sample_reads_back_from_its_json() -> None:
    original = sample(10.0, brokers_rss_mb=[300.0, 290.0], brokers_cpu_cores=0.4)
    assert sample_from_dict(orjson.loads(orjson.dumps(asdict(original)))) == original


# ---- options and helpers ----------------------------------------------------------------------------


def test_minutes_come_from_soak_minutes_unless_given() -> None:
    assert parse_args([], {}).minutes == 30
    assert parse_args([], {"SOAK_MINUTES": "3"}).minutes == 3
    assert parse_args(["--minutes", "5"], {"SOAK_MINUTES": "3"}).minutes == 5


def test_the_warm_up_is_a_sixth_of_the_soak_and_at_least_a_minute() -> None:
    assert default_warmup_s(1800) == 300
    assert default_warmup_s(180) == 60
    args = parse_args(["--minutes", "3"], {})
    assert args.warmup_s == 60
    assert targets_of(args).max_lag == 15_000


def test_a_warm_up_as_long_as_the_soak_is_refused() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--minutes", "1", "--warmup-s", "60"], {})


def test_broker_pids_are_read_from_the_kafka_scripts_listing() -> None:
    assert parse_pids("1 1234 9092\n2 1240 9093\n3 1250 9094\n") == {1: 1234, 2: 1240, 3: 1250}
    assert parse_pids("") == {}
