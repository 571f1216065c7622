"""Builders for the soak's samples: tests change one field to make the case they need."""

from __future__ import annotations

from bench.soak.summary import Sample, Targets, latency_stats

TARGETS = Targets(rate=1500.0, warmup_s=60.0, max_lag_s=10.0, drain_timeout_s=60.0)
WORKERS = ("worker1", "worker2")


def sample(
    t: float, rss: float = 100.0, lag: int | None = 1500, phase: str = "soak", **more: object
) -> Sample:
    values: dict[str, object] = {
        "t_s": t,
        "phase": phase,
        "interval_s": 10.0,
        "offered": 15_000,
        "offered_per_s": 1500.0,
        "rss_mb": dict.fromkeys(WORKERS, rss),
        "cpu_cores": dict.fromkeys(WORKERS, 0.1),
        "lag": lag,
        "lag_max_partition": None if lag is None else lag // 8,
        "command_lag": 0,
        "latency": latency_stats([10.0, 12.0, 30.0]),
        "received": latency_stats([11.0, 14.0, 35.0]),
        "outstanding": 0,
        "loadavg": (2.0, 1.5, 1.0),
    }
    values.update(more)
    return Sample(**values)  # type: ignore[arg-type]
