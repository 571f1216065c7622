"""Scenario m: one citygate worker with a million-entry watchlist (issue 21).

Why: a national lookout list is two orders of magnitude larger than the city's 10,000 entries, and every
worker keeps the whole list in memory and must read all of it before it matches a single hit. So this
scenario reports what that costs: seconds from process start to `/health` saying `watchlist_ready: true`,
the resident set after loading and at its peak, and whether matching against the large index drains the
same hits as fast as scenario a does against the small one. The targets the project set are reported
beside the figures, never asserted: they depend on the machine.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import cluster, scenarios
from bench.cluster import BenchError, settings_env
from bench.procs import Child, MemorySampler, Worker, cpu_seconds, memory_mb
from bench.replica_load import ReplicaLoad, measure
from bench.scenarios import Context, Drain
from bench.workload import big_watchlist_records
from streams.settings import Settings
from streams.topics import WATCHLIST
from streams.worker.watchlist.loader import AUTO_HELPERS

# What issue 21 asks of a worker with a million entries, on this machine.
TARGET_READY_S = 20.0
TARGET_RSS_MB = 600.0
TARGET_DRAIN_RATIO = 0.9  # of scenario a's hits/s (10,000 entries), same invocation


@dataclass
class WatchlistScale:
    """Scenario m's own figures (its drain is a `Drain` row like the others)."""

    entries: int
    entries_loaded: int | None  # what the worker's /health said when it was ready
    watchlist_produce_s: float
    ready_s: float  # process start → /health says watchlist_ready: true
    rss_after_load_mb: float  # VmRSS when it first said so
    peak_rss_at_ready_mb: float  # VmHWM then: the cost of loading itself
    peak_rss_mb: float  # VmHWM over the whole run (loading and draining)
    drain_hits_per_s: float
    drain_ratio_to_a: float | None = None  # set once scenario a's figure is known
    loadavg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    targets: dict[str, float] = field(
        default_factory=lambda: {
            "ready_s_max": TARGET_READY_S,
            "rss_mb_max": TARGET_RSS_MB,
            "drain_ratio_min": TARGET_DRAIN_RATIO,
        }
    )
    rss_samples: list[tuple[float, float]] = field(default_factory=list)  # (s since start, VmRSS MiB)
    # The worker's CPU (user + system) from its start to ready: near ready_s means loading is bound by the
    # worker's own Python, not by fetching from the broker (prefetching would not shorten it).
    ready_cpu_s: float | None = None
    # The same list loaded by the replica alone in a process, without and then with its loading helpers
    # (bench/replica_load.py), before the worker starts: the helpers' gain measured side by side.
    replica_loads: list[ReplicaLoad] = field(default_factory=list)

    @property
    def helpers_speedup(self) -> float | None:
        """The replica's ready time alone over its time with helpers (above 1: the helpers help)."""
        alone = [load for load in self.replica_loads if load.loaders == 0]
        helped = [load for load in self.replica_loads if load.loaders > 0]
        if not alone or not helped or helped[0].ready_s <= 0:
            return None
        return round(alone[0].ready_s / helped[0].ready_s, 3)

    @property
    def ready_busy_share(self) -> float | None:
        if self.ready_cpu_s is None or self.ready_s <= 0:
            return None
        return round(self.ready_cpu_s / self.ready_s, 3)

    def meets(self) -> dict[str, bool | None]:
        """Each target met or not (None when the figure is missing); the peak RSS is what is compared."""
        ratio = self.drain_ratio_to_a
        return {
            "ready": self.ready_s <= TARGET_READY_S,
            "rss": self.peak_rss_mb <= TARGET_RSS_MB,
            "drain": None if ratio is None else ratio >= TARGET_DRAIN_RATIO,
        }

    def to_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "ready_busy_share": self.ready_busy_share,
            "helpers_speedup": self.helpers_speedup,
            "meets_targets": self.meets(),
        }


def thin(samples: list[tuple[float, float]], keep: int = 120) -> list[tuple[float, float]]:
    """At most `keep` samples, evenly spaced, always with the last one: enough to see the shape in JSON."""
    if len(samples) <= keep:
        return list(samples)
    step = len(samples) / keep
    picked = [samples[int(i * step)] for i in range(keep - 1)]
    return [*picked, samples[-1]]


def wait_watchlist_ready(worker: Worker, timeout: float) -> dict[str, object]:
    """Poll /health until its body says `watchlist_ready: true`; the body then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.assert_alive()
        body = worker.health_body()
        if body is not None and body.get("watchlist_ready") is True:
            return body
        time.sleep(0.1)
    raise BenchError(f"{worker.name} not watchlist_ready after {timeout:.0f}s:\n{worker.log_tail(40)}")


def run(ctx: Context, size: int) -> tuple[Drain, WatchlistScale]:
    """Fill watchlist.entries with `size` entries (the workload's plus distinct ones no hit reads) and
    anpr.hits with the usual hits, start one worker and measure its load, memory and drain."""
    facts: dict[str, float] = {}
    samplers: list[MemorySampler] = []
    loads: list[ReplicaLoad] = []

    def produce_watchlist(settings: Settings) -> None:
        print(f"[m] producing {size:,} watchlist entries (idempotent kafka-python producer)", flush=True)
        records = big_watchlist_records(ctx.workload, size, now=datetime.now(UTC))
        sent, seconds = cluster.produce_idempotent(
            settings.kafka_bootstrap, settings.topic(WATCHLIST), records
        )
        if sent != size:
            raise BenchError(f"[m] produced {sent:,} watchlist entries, expected {size:,}")
        facts["watchlist_produce_s"] = round(seconds, 2)
        print(f"[m] {sent:,} entries produced in {seconds:.1f}s", flush=True)

    def start(ctx: Context, settings: Settings, log_dir: Path) -> tuple[list[Child], float]:
        for loaders in (0, AUTO_HELPERS):
            load = measure(settings_env(settings), loaders, log_dir, timeout=max(180.0, size / 1000))
            loads.append(load)
            print(
                f"[m] the replica alone, {loaders} loading helpers: ready in {load.ready_s:.1f}s "
                f"({load.cpu_s:.1f} CPU s, helpers {load.helpers_cpu_s:.1f})",
                flush=True,
            )
        began = time.monotonic()
        worker = Worker.start(f"{settings.app_id}-worker1", settings_env(settings), log_dir, ctx.loglevel)
        sampler = MemorySampler(worker.pid, every=0.25)
        sampler.start()
        samplers.append(sampler)
        try:
            body = wait_watchlist_ready(worker, timeout=max(90.0, size / 2000))
            ready_s = time.monotonic() - began
            ready_cpu_s = cpu_seconds(worker.pid)
            rss, hwm = memory_mb(worker.pid)
        except BaseException:
            worker.stop()
            raise
        loaded = body.get("watchlist_entries")
        facts.update(
            ready_s=round(ready_s, 2),
            ready_cpu_s=round(ready_cpu_s, 2),
            rss_after_load_mb=round(rss, 1),
            peak_rss_at_ready_mb=round(hwm, 1),
            entries_loaded=float(loaded) if isinstance(loaded, int) else -1.0,
        )
        print(
            f"[m] watchlist_ready after {ready_s:.1f}s with {loaded} entries; RSS {rss:.0f} MB "
            f"(peak {hwm:.0f} MB); {ready_cpu_s:.1f} CPU s until then",
            flush=True,
        )
        return [worker], round(ready_s, 2)

    label = f"m. citygate, {size:,}-entry list"
    try:
        result = scenarios.drain(ctx, "m", label, start, watchlist=produce_watchlist)
    finally:
        for sampler in samplers:
            sampler.stop()
    sampler = samplers[0]
    loaded = int(facts["entries_loaded"])
    scale = WatchlistScale(
        entries=size,
        entries_loaded=None if loaded < 0 else loaded,
        watchlist_produce_s=facts["watchlist_produce_s"],
        ready_s=facts["ready_s"],
        ready_cpu_s=facts["ready_cpu_s"],
        rss_after_load_mb=facts["rss_after_load_mb"],
        peak_rss_at_ready_mb=facts["peak_rss_at_ready_mb"],
        peak_rss_mb=round(max(sampler.peak_mb, result.peak_rss_mb), 1),
        drain_hits_per_s=result.hits_per_s,
        loadavg_start=result.loadavg_start,
        loadavg_end=result.loadavg_end,
        rss_samples=thin(sampler.samples),
        replica_loads=loads,
    )
    return result, scale
