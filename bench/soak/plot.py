"""The soak's picture: RSS per worker, the hits group's lag, alert latency, CPU and load, and the offered
rate, over time.

matplotlib is imported when a plot is drawn, not with the module: it is in the `bench` extra only, and the
verdict (summary.py) must not need it. The Agg backend draws to a file without a display.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.soak.summary import Flatness, Sample, Targets, sample_from_dict

COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def title_of(workers: int, rate: float, brokers: int | None, machine: dict[str, Any], verdict: str) -> str:
    return (
        f"citygate soak: {workers} workers, {rate:,.0f} hits/s offered, {brokers or '?'} brokers, "
        f"commit {str(machine['git_commit'])[:10]}, {machine['cpu_count']} cores\n{verdict}"
    )


def draw(
    path: Path,
    samples: Sequence[Sample],
    workers: Sequence[str],
    flats: Sequence[Flatness],
    targets: Targets,
    title: str,
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [s.t_s / 60 for s in samples]
    drain_from = next((s.t_s / 60 for s in samples if s.phase == "drain"), None)
    fig, axes = plt.subplots(5, 1, figsize=(11, 15), sharex=True)
    rss_ax, lag_ax, lat_ax, cpu_ax, rate_ax = axes
    fig.suptitle(
        "\n".join(part for line in title.splitlines() for part in textwrap.wrap(line, 130)), fontsize=9
    )
    for ax in axes:
        ax.axvspan(0, targets.warmup_s / 60, color="0.92")
        if drain_from is not None:
            ax.axvspan(drain_from, minutes[-1], color="#e3edf9")
        ax.grid(True, alpha=0.3)

    def series(values: Sequence[float | None]) -> tuple[list[float], list[float]]:
        kept = [(m, v) for m, v in zip(minutes, values, strict=True) if v is not None]
        return [m for m, _ in kept], [v for _, v in kept]

    for n, worker in enumerate(workers):
        colour = COLOURS[n % len(COLOURS)]
        rss_ax.plot(*series([s.rss_mb.get(worker) for s in samples]), color=colour, label=f"{worker} VmRSS")
        flat = next((f for f in flats if f.worker == worker), None)
        if flat is not None and flat.start_mb is not None:
            limit = flat.start_mb * (1 + targets.flat_share)
            rss_ax.axhline(limit, color=colour, linestyle=":", linewidth=1, label=f"{worker}: level +10%")
    rss_ax.set_ylabel("RSS (MiB)")
    rss_ax.set_title("worker memory (grey: warm-up, not judged; blue: after the traffic stopped)", fontsize=9)
    rss_ax.legend(fontsize=8, loc="best")

    lag_ax.plot(*series([s.lag for s in samples]), color="tab:purple", label="anpr.hits (hits group)")
    lag_ax.plot(*series([s.command_lag for s in samples]), color="0.5", label="alerts (alert book)")
    lag_ax.axhline(targets.max_lag, color="tab:red", linestyle="--", linewidth=1, label="bound")
    lag_ax.set_ylabel("lag (messages)")
    lag_ax.set_yscale("symlog", linthresh=10)
    lag_ax.set_title(
        "consumer lag: end offsets − committed offsets (the hits group commits every 1 s)", fontsize=9
    )
    lag_ax.legend(fontsize=8, loc="best")

    for attr, style, label in (("p50_ms", "-", "p50"), ("p99_ms", "-", "p99"), ("max_ms", ":", "max")):
        lat_ax.plot(*series([getattr(s.latency, attr) for s in samples]), linestyle=style, label=label)
    lat_ax.set_ylabel("ms")
    lat_ax.set_yscale("log")
    lat_ax.set_title("hit produced → its alert's record timestamp, per interval", fontsize=9)
    lat_ax.legend(fontsize=8, loc="best")

    for n, worker in enumerate(workers):
        cpu_ax.plot(
            minutes,
            [100 * s.cpu_cores.get(worker, 0.0) for s in samples],
            color=COLOURS[n % len(COLOURS)],
            label=f"{worker}",
        )
    cpu_ax.plot(minutes, [100 * s.brokers_cpu_cores for s in samples], color="tab:brown", label="brokers")
    cpu_ax.plot(minutes, [100 * s.harness_cpu_cores for s in samples], color="black", label="harness")
    cpu_ax.set_ylabel("CPU (% of one core)")
    load_ax = cpu_ax.twinx()
    load_ax.plot(minutes, [s.loadavg[0] for s in samples], color="0.6", linestyle="--", label="load (1 min)")
    load_ax.set_ylabel(f"load average ({os.cpu_count()} cores)")
    cpu_ax.set_title("CPU of the workers, the broker JVMs and the harness; the machine's load", fontsize=9)
    handles, labels = cpu_ax.get_legend_handles_labels()
    more_handles, more_labels = load_ax.get_legend_handles_labels()
    cpu_ax.legend(handles + more_handles, labels + more_labels, fontsize=8, loc="upper left", ncol=5)

    rate_ax.plot(minutes, [s.offered_per_s for s in samples], color="black", label="offered")
    rate_ax.axhline(targets.rate, color="black", linestyle=":", linewidth=1, label="target")
    rate_ax.set_ylabel("hits/s")
    rate_ax.set_xlabel("minutes since the traffic began")
    rate_ax.set_title("hits offered per second, per interval", fontsize=9)
    rate_ax.legend(fontsize=8, loc="lower left")

    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def redraw(results: Path) -> Path:
    """Draw the PNG of a soak's results file again (beside it), e.g. after changing this module."""
    import orjson

    document = orjson.loads(results.read_bytes())
    settings, summary = document["settings"], document["summary"]
    samples = [sample_from_dict(s) for s in document["samples"]]
    workers = list(summary["workers"])
    flats = [Flatness(**summary["workers"][w]["flatness"]) for w in workers]
    targets = Targets(
        rate=settings["rate"],
        warmup_s=settings["warmup_s"],
        max_lag_s=settings["max_lag_s"],
        drain_timeout_s=settings["drain_timeout_s"],
        flat_share=settings["flat_share"],
    )
    heading = title_of(
        len(workers), targets.rate, settings.get("brokers"), document["machine"], summary["verdict"]
    )
    return draw(results.with_suffix(".png"), samples, workers, flats, targets, heading)


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:]:
        print(redraw(Path(name)))
