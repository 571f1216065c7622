"""The results: a table on stdout and bench/results/<UTC timestamp>.json with every figure and the machine.

Why the machine facts: the figures are only comparable within one run on one machine (2 cores shared by
the broker, the producer and the workers here), so each results file says what it ran on and at which
commit.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.procs import ROOT
from bench.retro import RetroScan
from bench.scenarios import Drain, Latency, as_dict
from bench.watchlist_scale import TARGET_DRAIN_RATIO, TARGET_READY_S, TARGET_RSS_MB, WatchlistScale

PACKAGES = ("faust-streaming", "mode-streaming", "aiokafka", "kafka-python", "orjson")


def machine_facts(quix_version: str | None) -> dict[str, object]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    versions["quixstreams"] = quix_version
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "streams"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "unknown", ""
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": versions,
        "git_commit": commit,
        "streams_modified": bool(dirty),
        "loadavg_at_start": os.getloadavg(),
    }


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


# name → (numerator scenario, denominator scenario), by hits/s
RATIOS: dict[str, tuple[str, str]] = {
    "citygate/raw_loop": ("a", "b"),
    "citygate/quix": ("a", "e"),
    "citygate/ceiling": ("a", "f"),
    "2_workers/1_worker": ("d", "a"),
    "big_watchlist/10k": ("m", "a"),
}


def ratios(drains: dict[str, Drain]) -> dict[str, float | None]:
    """hits/s of citygate divided by each baseline's (the raw loop, Quix, the client ceiling), 2 workers
    divided by 1, and the big watchlist's drain divided by the 10,000-entry one (m / a); None where either
    scenario did not run in this invocation."""

    def ratio(a: str, b: str, steady: bool = False) -> float | None:
        if a not in drains or b not in drains:
            return None
        x, y = drains[a], drains[b]
        top, bottom = (x.steady_hits_per_s, y.steady_hits_per_s) if steady else (x.hits_per_s, y.hits_per_s)
        return round(top / bottom, 3) if top and bottom else None

    out: dict[str, float | None] = {}
    for name, (a, b) in RATIOS.items():
        out[name] = ratio(a, b)
        out[f"{name} (steady)"] = ratio(a, b, steady=True)
    return out


def _load(start: Sequence[float], end: Sequence[float]) -> str:
    """The 1-minute load average at a scenario's start and end."""
    return f"{start[0]:.1f}>{end[0]:.1f}"


def table(
    drains: dict[str, Drain],
    latencies: Sequence[Latency],
    facts: dict[str, object],
    scale: WatchlistScale | None = None,
    retro: RetroScan | None = None,
) -> str:
    lines = []
    head = (
        f"{'scenario':<34} {'hits':>9} {'drain s':>8} {'hits/s':>8} {'steady/s':>9} {'CPU s/1k':>9} "
        f"{'RSS MB':>7} {'stall s':>7} {'alerts new/upd (exp new)':>25} {'load':>9}"
    )
    lines += [head, "-" * len(head)]
    for d in drains.values():
        alerts = f"{d.alerts_new}/{d.alerts_updated} ({d.expected_new})" if d.matching else "-"
        lines.append(
            f"{d.label:<34} {d.hits:>9,} {d.drain_s:>8.1f} {d.hits_per_s:>8,.0f} "
            f"{_fmt(d.steady_hits_per_s):>9} {d.cpu_s_per_1k:>9.3f} {d.peak_rss_mb:>7.0f} "
            f"{d.stalled_s:>7.1f} {alerts:>25} {_load(d.loadavg_start, d.loadavg_end):>9}"
        )
    if latencies:
        lines.append("")
        head = (
            f"{'latency (hit produced -> new alert read)':<42} {'hits/s':>8} {'alerts':>7} {'missing':>8} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'max ms':>8} {'CPU s/1k':>9} {'harness':>8} "
            f"{'load':>9}"
        )
        lines += [head, "-" * len(head)]
        for lat in latencies:
            lines.append(
                f"{lat.label:<42} {lat.achieved_rate:>8,.0f} {lat.alerts_received:>7} {lat.missing:>8} "
                f"{_fmt(lat.p50_ms, '.1f'):>8} {_fmt(lat.p99_ms, '.1f'):>8} {_fmt(lat.p999_ms, '.1f'):>9} "
                f"{_fmt(lat.max_ms, '.1f'):>8} {lat.worker_cpu_s_per_1k:>9.3f} "
                f"{lat.harness_cpu_s_per_1k:>8.3f} {_load(lat.loadavg_before, lat.loadavg_end):>9}"
            )
            lines.append(
                f"{'  split: to the worker sending the alert':<42} "
                f"p50 {_fmt(lat.to_worker_send_p50_ms, '.1f')} "
                f"p99 {_fmt(lat.to_worker_send_p99_ms, '.1f')} ms; from there to the operator p50 "
                f"{_fmt(lat.delivery_p50_ms, '.1f')} p99 {_fmt(lat.delivery_p99_ms, '.1f')} ms"
            )
    lines.append("")
    values = ratios(drains)
    for name in RATIOS:
        lines.append(
            f"ratio {name:<20} {_fmt(values[name], '.2f'):>6} (drain)  "
            f"{_fmt(values[f'{name} (steady)'], '.2f'):>6} (steady, 10%-90% of the topic)"
        )
    if scale is not None:
        lines += ["", *scale_lines(scale)]
    if retro is not None:
        lines += ["", *retro_lines(retro)]
    cores = facts["cpu_count"]
    load = facts["loadavg_at_start"]
    lines.append(
        f"machine: {cores} cores (os.cpu_count), shared by the broker, the producer, the harness and the "
        f"process(es) measured; load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"  # type: ignore[index]
    )
    if "d" in drains:
        d = drains["d"]
        lines.append(
            f"2 workers: load average before that scenario {d.loadavg_before[0]:.2f}; with {cores} cores and "
            "the broker on the same machine, 2 workers cannot get 2 cores of their own"
        )
    return "\n".join(lines)


def _verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "NOT met")


def scale_lines(scale: WatchlistScale) -> list[str]:
    """Scenario m against the targets of issue 21 (reported, not asserted)."""
    met = scale.meets()
    ratio = _fmt(scale.drain_ratio_to_a, ".3f")  # 0.897 must not print as a met 0.90
    return [
        f"m. {scale.entries:,}-entry watchlist ({_fmt(scale.entries_loaded, ',')} loaded, produced in "
        f"{scale.watchlist_produce_s:.1f}s), load average {_load(scale.loadavg_start, scale.loadavg_end)}:",
        f"   ready {scale.ready_s:.1f}s from process start to watchlist_ready "
        f"(target <= {TARGET_READY_S:.0f}s: {_verdict(met['ready'])}); the worker busy "
        f"{_fmt(scale.ready_busy_share, '.0%')} of it ({_fmt(scale.ready_cpu_s, '.1f')} CPU s)",
        f"   RSS {scale.rss_after_load_mb:.0f} MB after loading, peak {scale.peak_rss_mb:.0f} MB "
        f"(target <= {TARGET_RSS_MB:.0f} MB: {_verdict(met['rss'])})",
        f"   drain {scale.drain_hits_per_s:,.0f} hits/s = {ratio} x scenario a's "
        f"(target >= {TARGET_DRAIN_RATIO}: {_verdict(met['drain'])})",
        *(
            f"   the replica alone in a process, {load.loaders} loading helpers: ready {load.ready_s:.1f}s, "
            f"{load.cpu_s:.1f} CPU s (helpers {load.helpers_cpu_s:.1f})"
            for load in scale.replica_loads
        ),
        *(
            [f"   helpers' speed-up: {scale.helpers_speedup:.2f} x the replica alone"]
            if scale.helpers_speedup is not None
            else []
        ),
    ]


def retro_lines(retro: RetroScan) -> list[str]:
    """Scenario r beside the documented scan rate."""
    read = _fmt(retro.hits_read, ",") if retro.hits_read is not None else f"{retro.hits_in_topic:,} (topic)"
    return [
        f"r. retro-match scan, load average {_load(retro.loadavg_start, retro.loadavg_end)}: {read} hits "
        f"read in {retro.scan_s:.1f}s = {retro.hits_per_s:,.0f} hits/s (documented baseline "
        f"{retro.baseline_hits_per_s:,}); CPU {retro.cpu_s_per_1k:.3f} s/1k hits",
        f"   {retro.entries} entries ({retro.entries_in_hits} on plates read in the hits, "
        f"{retro.entries_absent} on plates none reads): {retro.alerts} alerts "
        f"{retro.alerts_by_match_type}, {retro.present_found}/{retro.entries_in_hits} found, "
        f"{retro.absent_found} absent ones found",
    ]


def write_json(
    directory: Path,
    drains: dict[str, Drain],
    latencies: Sequence[Latency],
    facts: dict[str, object],
    settings: dict[str, object],
    workload: dict[str, object],
    skipped: dict[str, str],
    profile: dict[str, object] | None = None,
    scale: WatchlistScale | None = None,
    retro: RetroScan | None = None,
    gateway: Any = None,
    web: Any = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}.json"
    document = {
        "created_at": datetime.now(UTC).isoformat(),
        "machine": facts,
        "settings": settings,
        "workload": workload,
        "throughput": {name: as_dict(d) for name, d in drains.items()},
        "latency": [as_dict(lat) for lat in latencies],
        "ratios": ratios(drains),
        **({"watchlist_scale": scale.to_dict()} if scale is not None else {}),
        **({"retro_scan": retro.to_dict()} if retro is not None else {}),
        **({"gateway": gateway.to_dict()} if gateway is not None else {}),
        **({"web_console": web.to_dict()} if web is not None else {}),
        "skipped": skipped,
        **({"profile": profile} if profile is not None else {}),
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return path
