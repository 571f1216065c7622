"""The harness's pure helpers: ratios between scenarios, the targets of the big watchlist, the retro scan's
own count, the option defaults, and the table's new rows."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from bench.__main__ import ALL, parse_args
from bench.replica_load import ReplicaLoad
from bench.report import ratios, table
from bench.retro import RetroScan, pick_plates, scanned_counts
from bench.scenarios import Drain, Latency
from bench.watchlist_scale import WatchlistScale, thin

FACTS: dict[str, object] = {"cpu_count": 2, "loadavg_at_start": (0.5, 0.4, 0.3)}


def drain(name: str, rate: float, steady: float | None = None, *, matching: bool = True) -> Drain:
    return Drain(
        name=name,
        label=f"{name}. test",
        processes=1,
        hits=1000,
        produce_s=1.0,
        ready_s=1.0,
        drain_s=1000 / rate,
        hits_per_s=rate,
        steady_hits_per_s=steady,
        cpu_s=1.0,
        cpu_s_per_1k=0.02,
        peak_rss_mb=100.0,
        metrics_events=None,
        alerts_total=0,
        alerts_new=0,
        alerts_updated=0,
        alerts_restricted=0,
        alerts_by_match_type={},
        expected_new=0,
        loadavg_before=(1.0, 1.0, 1.0),
        matching=matching,
    )


def test_citygate_over_the_ceiling_and_the_big_list_over_the_small_one() -> None:
    drains = {
        "a": drain("a", 30_000, 32_000),
        "f": drain("f", 120_000, 128_000, matching=False),
        "m": drain("m", 27_000, None),
    }
    values = ratios(drains)
    assert values["citygate/ceiling"] == 0.25
    assert values["citygate/ceiling (steady)"] == 0.25
    assert values["big_watchlist/10k"] == 0.9
    assert values["big_watchlist/10k (steady)"] is None  # m had no steady rate
    assert values["citygate/raw_loop"] is None  # b did not run
    assert values["2_workers/1_worker"] is None


def test_the_table_shows_the_ceiling_without_alerts_and_every_ratio() -> None:
    drains = {"a": drain("a", 30_000), "f": drain("f", 120_000, matching=False)}
    text = table(drains, [], FACTS)
    row = next(line for line in text.splitlines() if line.startswith("f. test"))
    assert " - " in row and "(0)" not in row
    assert "ratio citygate/ceiling       0.25" in text


def scale(**changes: object) -> WatchlistScale:
    base = WatchlistScale(
        entries=1_000_000,
        entries_loaded=1_000_000,
        watchlist_produce_s=60.0,
        ready_s=18.0,
        rss_after_load_mb=550.0,
        peak_rss_at_ready_mb=580.0,
        peak_rss_mb=590.0,
        drain_hits_per_s=28_000.0,
        drain_ratio_to_a=0.93,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_big_watchlist_targets_are_reported_not_asserted() -> None:
    assert scale().meets() == {"ready": True, "rss": True, "drain": True}
    slow = scale(ready_s=25.0, peak_rss_mb=900.0, drain_ratio_to_a=0.5)
    assert slow.meets() == {"ready": False, "rss": False, "drain": False}
    assert scale(drain_ratio_to_a=None).meets()["drain"] is None
    text = table({}, [], FACTS, slow)
    assert "NOT met" in text and "1,000,000-entry watchlist" in text


def test_the_load_says_how_busy_the_worker_was_while_it_loaded() -> None:
    assert scale().ready_busy_share is None  # not measured: no share, and the table says "-"
    assert "busy - of it" in table({}, [], FACTS, scale())
    busy = scale(ready_s=40.0, ready_cpu_s=38.0)
    assert busy.ready_busy_share == 0.95 and busy.to_dict()["ready_busy_share"] == 0.95
    assert "busy 95% of it (38.0 CPU s)" in table({}, [], FACTS, busy)


def test_the_replicas_loads_alone_and_helped_are_compared() -> None:
    assert scale().helpers_speedup is None and "speed-up" not in table({}, [], FACTS, scale())
    loads = [ReplicaLoad(0, 40.0, 39.0, 0.0, 1_000_000), ReplicaLoad(2, 25.0, 20.0, 30.0, 1_000_000)]
    helped = scale(replica_loads=loads)
    assert helped.helpers_speedup == 1.6 and helped.to_dict()["helpers_speedup"] == 1.6
    text = table({}, [], FACTS, helped)
    assert "2 loading helpers: ready 25.0s, 20.0 CPU s (helpers 30.0)" in text
    assert "helpers' speed-up: 1.60 x the replica alone" in text


def test_a_latency_is_split_at_the_alerts_timestamp_in_the_table() -> None:
    run = Latency(
        label="c. fixed 1,500 hits/s",
        offered_rate=1500.0,
        achieved_rate=1499.0,
        seconds=30.0,
        hits_sent=45_000,
        matching_sent=450,
        alerts_received=450,
        missing=0,
        p50_ms=7.0,
        p99_ms=14.0,
        p999_ms=20.0,
        max_ms=22.0,
        worker_cpu_s_per_1k=0.2,
        loadavg_before=(0.5, 0.4, 0.3),
        to_worker_send_p50_ms=4.5,
        to_worker_send_p99_ms=9.0,
        delivery_p50_ms=2.5,
        delivery_p99_ms=6.0,
    )
    text = table({}, [run], FACTS)
    assert "to the worker sending the alert" in text
    assert "p50 4.5 p99 9.0 ms; from there to the operator p50 2.5 p99 6.0 ms" in text


def test_thin_keeps_the_shape_and_the_last_sample() -> None:
    samples = [(float(i), float(i * 2)) for i in range(1000)]
    kept = thin(samples, keep=50)
    assert len(kept) == 50 and kept[0] == samples[0] and kept[-1] == samples[-1]
    assert thin(samples[:10], keep=50) == samples[:10]


def test_the_retro_scan_count_comes_from_the_scanners_own_line() -> None:
    # The scanner's format: "retro-match of %d entries over %s: %d hits read, %d sightings, %.1f s".
    line = "retro-match of 120 entries over 6:00:00: 1000000 hits read, 104 sightings, 21.3 s"
    assert scanned_counts(["something else", line]) == (1_000_000, 21.3)
    assert scanned_counts(["no summary"]) == (None, None)


def test_picked_plates_are_read_in_the_hits_distinct_and_not_listed() -> None:
    def hit(plate: str) -> tuple[bytes, bytes]:
        return b"k", orjson.dumps({"plate_text": plate})

    prefill = [hit("苏K12345"), hit("苏K·12345"), hit("苏K1234S"), hit("苏A00001"), hit("苏B77777")]
    plates = pick_plates(prefill, 3, avoid=frozenset({"苏A00001"}))
    # 苏K1234S is OCR-equivalent to 苏K12345 (S ~ 5): one plate, not two; 苏A00001's key is avoided.
    assert plates == ["苏K12345", "苏B77777"]


def test_defaults_run_the_new_scenarios_and_quick_shrinks_the_big_list() -> None:
    assert set("fmr") <= set(ALL)
    assert parse_args([]).watchlist_million == 1_000_000
    assert parse_args(["--quick"]).watchlist_million == 100_000
    assert parse_args(["--quick", "--watchlist-million", "20000"]).watchlist_million == 20_000
    with pytest.raises(SystemExit):
        parse_args(["--watchlist-million", "5"])


def test_retro_scan_rate_is_reported_beside_the_baseline() -> None:
    scan = RetroScan(
        label="r",
        hits_in_topic=1000,
        hits_read=1000,
        entries=120,
        entries_in_hits=100,
        entries_absent=20,
        produce_s=1.0,
        scan_s=0.02,
        scanner_s=0.02,
        hits_per_s=50_000.0,
        cpu_s_per_1k=0.02,
        alerts=101,
        alerts_by_match_type={"exact": 101},
        present_found=100,
        absent_found=0,
    )
    text = table({}, [], FACTS, None, scan)
    assert "50,000 hits/s (documented baseline 47,000)" in text
    assert "100/100 found, 0 absent ones found" in text
