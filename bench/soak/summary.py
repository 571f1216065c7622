"""The soak's arithmetic, free of Kafka and processes: what a sample holds, latency per interval, whether
memory stayed flat, and the verdict with the one line that says why.

Why pure: the verdict decides the exit status of a 30-minute run, so it is tested on made-up samples
(tests/unit/bench/test_soak_summary.py) rather than discovered at the end of one.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.scenarios import percentile

FLAT_SHARE = 0.10  # RSS may grow at most this share of its level after the warm-up
WINDOW_SHARE = 0.10  # the start and end levels are medians over this share of the steady samples...
WINDOW_MIN = 3  # ...and over at least this many
MIN_RATE_SHARE = 0.95  # of the offered rate, achieved over the soak, or it was not at the design peak


@dataclass(frozen=True)
class LatencyStats:
    """Percentiles of the latencies (ms) seen in one interval, or over the whole soak."""

    count: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


def latency_stats(values_ms: Sequence[float]) -> LatencyStats:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return LatencyStats(
        count=len(values_ms),
        p50_ms=rounded(percentile(values_ms, 50)),
        p99_ms=rounded(percentile(values_ms, 99)),
        max_ms=rounded(max(values_ms) if values_ms else None),
    )


@dataclass
class Sample:
    """What the harness saw at one moment, and over the interval since the previous sample."""

    t_s: float  # seconds since the paced traffic began
    phase: str  # "soak" while hits are offered, "drain" after
    interval_s: float
    offered: int  # hits sent in the interval
    offered_per_s: float
    rss_mb: dict[str, float]  # worker → VmRSS now
    cpu_cores: dict[str, float]  # worker → CPU seconds per second over the interval (1.0 = one core)
    lag: int | None  # anpr.hits: end offsets − the hits group's committed offsets; None: broker did not say
    lag_max_partition: int | None
    command_lag: int | None  # the Faust group's lag on `alerts` (the alert book reading alerts back)
    latency: LatencyStats  # hit produced → its `new` alert's record timestamp (the worker's send time)
    received: LatencyStats  # hit produced → the harness's consumer had the alert (scenario c's measure)
    outstanding: int  # matching hits sent whose alert has not arrived yet
    loadavg: tuple[float, float, float]
    brokers_rss_mb: list[float] = field(default_factory=list)
    harness_rss_mb: float = 0.0
    harness_cpu_cores: float = 0.0
    brokers_cpu_cores: float = 0.0  # all broker JVMs together


def sample_from_dict(raw: dict[str, Any]) -> Sample:
    """A `Sample` back from its JSON form (a results file's `samples`)."""
    values = dict(raw)
    values["latency"] = LatencyStats(**values["latency"])
    values["received"] = LatencyStats(**values["received"])
    values["loadavg"] = tuple(values["loadavg"])
    return Sample(**values)


@dataclass(frozen=True)
class Flatness:
    """One worker's resident set after the warm-up: its level at the start and the end of the steady part."""

    worker: str
    samples: int  # after the warm-up
    window: int  # samples in each of the start and end medians
    start_mb: float | None
    end_mb: float | None
    growth_share: float | None  # (end − start) / start
    slope_mb_per_h: float | None  # least-squares slope over the steady part, for reading, not judged
    flat: bool | None  # None: too few samples after the warm-up to say


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (t, y) points, y per unit of t; None for fewer than two distinct times."""
    if len(points) < 2:
        return None
    mean_t = statistics.fmean(t for t, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return sum((t - mean_t) * (y - mean_y) for t, y in points) / spread


def flatness(
    worker: str, points: Sequence[tuple[float, float]], warmup_s: float, share: float = FLAT_SHARE
) -> Flatness:
    """Whether `points` (t in s, RSS in MB) stay flat after `warmup_s`: the median of the last window of
    steady samples may exceed the median of the first by at most `share` of the first. Medians over a
    window (10% of the steady samples, at least 3) so one garbage-collection spike decides nothing; only
    growth counts, a worker that gives memory back is flat."""
    steady = [(t, y) for t, y in points if t >= warmup_s]
    window = max(WINDOW_MIN, int(len(steady) * WINDOW_SHARE))
    fitted = slope(steady)
    slope_h = None if fitted is None else round(fitted * 3600, 2)
    if len(steady) < 2 * window:
        return Flatness(worker, len(steady), window, None, None, None, slope_h, None)
    start = statistics.median(y for _, y in steady[:window])
    end = statistics.median(y for _, y in steady[-window:])
    growth = (end - start) / start if start > 0 else None
    flat = None if growth is None else growth <= share
    return Flatness(
        worker,
        len(steady),
        window,
        round(start, 1),
        round(end, 1),
        None if growth is None else round(growth, 4),
        slope_h,
        flat,
    )


@dataclass(frozen=True)
class Targets:
    rate: float  # hits/s to offer
    warmup_s: float
    max_lag_s: float  # the lag after the warm-up may be at most this many seconds of offered hits
    drain_timeout_s: float  # the lag must be back to 0 this soon after the traffic stops
    flat_share: float = FLAT_SHARE

    @property
    def max_lag(self) -> int:
        return int(self.max_lag_s * self.rate)


@dataclass
class Outcome:
    """What the soak showed beside its samples; filled in by the run."""

    offered: int = 0  # hits sent while the traffic ran
    traffic_s: float = 0.0
    matching_sent: int = 0
    alerts_timed: int = 0
    missing: int = 0  # matching hits whose `new` alert never came
    drained_s: float | None = None  # traffic stopped → lag 0; None: not within the drain timeout
    lag_at_end: int | None = None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    line: str
    checks: dict[str, bool]


def signed_pct(share: float | None) -> str:
    """0.021 → "+2.1%"."""
    return "?" if share is None else f"{share * 100:+.1f}%"


def verdict(
    samples: Sequence[Sample], outcome: Outcome, targets: Targets, flats: Sequence[Flatness]
) -> Verdict:
    """The soak met its targets, or the first one it did not, in one line."""
    failures: list[str] = []
    checks: dict[str, bool] = {}

    achieved = outcome.offered / outcome.traffic_s if outcome.traffic_s > 0 else 0.0
    checks["rate"] = achieved >= MIN_RATE_SHARE * targets.rate
    if not checks["rate"]:
        failures.append(
            f"offered only {achieved:,.0f} hits/s of {targets.rate:,.0f} (< {MIN_RATE_SHARE:.0%}): "
            "not at the design peak"
        )

    too_short = [f for f in flats if f.flat is None]
    grew = [f for f in flats if f.flat is False]
    checks["memory_flat"] = bool(flats) and not too_short and not grew
    if not flats:
        failures.append("no worker's memory was sampled")
    elif too_short:
        f = too_short[0]
        failures.append(
            f"too few samples after the {targets.warmup_s:.0f} s warm-up to judge memory "
            f"({f.samples}; need {2 * f.window}): run longer or sample more often"
        )
    for f in grew:
        failures.append(
            f"{f.worker}'s RSS grew {signed_pct(f.growth_share)} after the warm-up "
            f"({f.start_mb} → {f.end_mb} MB; the limit is {targets.flat_share:.0%})"
        )

    steady_lags = [s.lag for s in samples if s.phase == "soak" and s.t_s >= targets.warmup_s]
    known = [lag for lag in steady_lags if lag is not None]
    max_lag = max(known) if known else None
    checks["lag_bounded"] = max_lag is not None and max_lag <= targets.max_lag
    if max_lag is None:
        failures.append("the hits group's lag could not be read after the warm-up")
    elif not checks["lag_bounded"]:
        failures.append(
            f"lag reached {max_lag:,} hits after the warm-up (bound {targets.max_lag:,}: "
            f"{targets.max_lag_s:.0f} s of offered hits)"
        )

    checks["lag_drained"] = outcome.drained_s is not None
    if not checks["lag_drained"]:
        failures.append(
            f"lag still {outcome.lag_at_end if outcome.lag_at_end is not None else '?'} hits "
            f"{targets.drain_timeout_s:.0f} s after the traffic stopped"
        )

    checks["alerts"] = outcome.missing == 0
    if not checks["alerts"]:
        failures.append(f"{outcome.missing:,} of {outcome.matching_sent:,} matching hits never got an alert")

    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return Verdict(False, f"soak: FAILED: {failures[0]}{more}", checks)
    rss = ", ".join(f"{f.worker} {signed_pct(f.growth_share)}" for f in flats)
    line = (
        f"soak: met its targets: RSS flat after the warm-up ({rss}; limit +{targets.flat_share:.0%}), "
        f"lag ≤ {max_lag:,} hits (bound {targets.max_lag:,}) and 0 {outcome.drained_s:.1f} s after the "
        f"traffic stopped, {outcome.alerts_timed:,}/{outcome.matching_sent:,} alerts, "
        f"{achieved:,.0f} hits/s offered"
    )
    return Verdict(True, line, checks)


def worker_series(samples: Sequence[Sample], worker: str) -> list[tuple[float, float]]:
    """(t, RSS MB) of one worker over the soak phase (the drain is idle time, not load)."""
    return [(s.t_s, s.rss_mb[worker]) for s in samples if s.phase == "soak" and worker in s.rss_mb]


def summarise(
    samples: Sequence[Sample],
    outcome: Outcome,
    targets: Targets,
    workers: Sequence[str],
    latencies_ms: Sequence[float],
    received_ms: Sequence[float],
) -> tuple[dict[str, object], Verdict]:
    """The JSON summary (first and last figures, maxima, whole-soak percentiles) and the verdict."""
    flats = [flatness(w, worker_series(samples, w), targets.warmup_s, targets.flat_share) for w in workers]
    decided = verdict(samples, outcome, targets, flats)
    soak = [s for s in samples if s.phase == "soak"]
    lags = [s.lag for s in soak if s.lag is not None]
    steady_lags = [s.lag for s in soak if s.lag is not None and s.t_s >= targets.warmup_s]
    per_worker: dict[str, object] = {}
    for w, flat in zip(workers, flats, strict=True):
        series = worker_series(samples, w)
        cpu = [s.cpu_cores[w] for s in soak if w in s.cpu_cores]
        per_worker[w] = {
            "rss_first_mb": series[0][1] if series else None,
            "rss_last_mb": series[-1][1] if series else None,
            "rss_max_mb": max(y for _, y in series) if series else None,
            "cpu_cores_mean": round(statistics.fmean(cpu), 3) if cpu else None,
            "flatness": asdict(flat),
        }
    loads = [s.loadavg[0] for s in samples]
    summary: dict[str, object] = {
        "passed": decided.passed,
        "verdict": decided.line,
        "checks": decided.checks,
        "workers": per_worker,
        "offered_hits": outcome.offered,
        "offered_per_s": round(outcome.offered / outcome.traffic_s, 1) if outcome.traffic_s else None,
        "lag_max": max(lags) if lags else None,
        "lag_max_after_warmup": max(steady_lags) if steady_lags else None,
        "lag_bound": targets.max_lag,
        "lag_at_end": outcome.lag_at_end,
        "drained_s": outcome.drained_s,
        "matching_sent": outcome.matching_sent,
        "alerts_timed": outcome.alerts_timed,
        "alerts_missing": outcome.missing,
        "latency_to_alert_timestamp": asdict(latency_stats(latencies_ms)),
        "latency_to_receipt": asdict(latency_stats(received_ms)),
        "loadavg_1m_max": round(max(loads), 2) if loads else None,
        "loadavg_1m_mean": round(statistics.fmean(loads), 2) if loads else None,
    }
    return summary, decided
