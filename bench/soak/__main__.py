"""`python -m bench.soak` (what `make soak` runs): two citygate workers at the design peak for a while,
sampled every few seconds; exits 0 when memory stayed flat, the lag stayed bounded and went back to 0, and
every alert came.

Why a soak beside the bench: the bench's runs last seconds and say how fast; a leak, a slow backlog or a
stall only shows over tens of minutes of steady traffic.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench.cluster import BenchError
from bench.procs import ROOT
from bench.report import machine_facts
from bench.soak.run import Plan, Recording, run
from bench.soak.summary import FLAT_SHARE, Targets, flatness, signed_pct, summarise, worker_series
from bench.workload import CHECKPOINTS, MATCH_SHARE, WATCHLIST_SIZE

DESIGN_PEAK = 1500.0  # hits/s: the city's design peak (the bench's scenario c offers the same)


def default_warmup_s(seconds: float) -> float:
    """A sixth of the soak, at least a minute: start-up, the group join and Python's heap settling."""
    return max(60.0, seconds / 6)


def parse_args(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> argparse.Namespace:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument(
        "--minutes",
        type=float,
        default=float(env.get("SOAK_MINUTES") or 30),
        help="how long hits are offered (default SOAK_MINUTES, else 30)",
    )
    parser.add_argument("--sample-s", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--rate", type=float, default=DESIGN_PEAK, help="hits/s offered, at a fixed rate")
    parser.add_argument(
        "--match-share",
        type=float,
        default=MATCH_SHARE,
        help="share of hits on listed plates (the workload's 0.1%%: each one a timed `new` alert)",
    )
    parser.add_argument(
        "--warmup-s",
        type=float,
        default=None,
        help="seconds not judged for memory and lag (default: a sixth of the soak, at least 60)",
    )
    parser.add_argument(
        "--max-lag-s",
        type=float,
        default=10.0,
        help="lag bound after the warm-up, in seconds of offered hits",
    )
    parser.add_argument(
        "--drain-timeout-s", type=float, default=60.0, help="the lag must be 0 this soon after the traffic"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--loglevel", default="info", help="the workers' log level")
    parser.add_argument("--keep-logs", action="store_true", help="keep the workers' logs (printed path)")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.sample_s <= 0 or args.rate <= 0:
        parser.error("--minutes, --sample-s and --rate must be positive")
    if not 0 <= args.match_share <= 1:
        parser.error("--match-share must be within 0..1")
    if args.warmup_s is None:
        args.warmup_s = default_warmup_s(args.minutes * 60)
    if args.warmup_s >= args.minutes * 60:
        parser.error(f"the warm-up ({args.warmup_s:.0f} s) leaves nothing of a {args.minutes:g}-minute soak")
    return args


def targets_of(args: argparse.Namespace) -> Targets:
    return Targets(
        rate=args.rate,
        warmup_s=args.warmup_s,
        max_lag_s=args.max_lag_s,
        drain_timeout_s=args.drain_timeout_s,
        flat_share=FLAT_SHARE,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP")
    if not bootstrap:
        print("soak: KAFKA_BOOTSTRAP is not set; run `make soak` (with-kafka starts a 3-node cluster)")
        return 2
    targets = targets_of(args)
    plan = Plan(args.minutes, args.sample_s, args.match_share, targets, args.seed, args.loglevel)
    facts = machine_facts(None)
    started_at = datetime.now(UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    print(
        f"soak: broker {bootstrap}; {facts['cpu_count']} cores; load average "
        f"{' '.join(f'{x:.2f}' for x in facts['loadavg_at_start'])}; commit {str(facts['git_commit'])[:12]}",  # type: ignore[attr-defined]
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="citygate-soak-"))
    recording = Recording()
    failure: str | None = None
    try:
        try:
            run(bootstrap, plan, workdir, recording)
        except BenchError as exc:
            failure = str(exc).splitlines()[0]
        facts["loadavg_at_end"] = os.getloadavg()
        summary, verdict = summarise(
            recording.samples,
            recording.outcome,
            targets,
            recording.workers,
            recording.latencies_ms,
            recording.received_ms,
        )
        line = f"soak: FAILED: {failure}" if failure else verdict.line
        summary.update(
            passed=failure is None and verdict.passed,
            verdict=line,
            failure=failure,
            ready_s=recording.ready_s,
            rss_at_ready_mb=recording.rss_at_ready_mb,
            peak_rss_mb=recording.peak_rss_mb,
            events_valid=recording.events_valid,
            lag_errors=recording.lag_errors,
        )
        settings = {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "max_lag": targets.max_lag,
            "flat_share": targets.flat_share,
            "workers": 2,
            "brokers": len(recording.brokers) or None,
            "replication_factor": recording.replication_factor,
            "hits_partitions": 8,
            "watchlist_size": WATCHLIST_SIZE,
            "checkpoints": CHECKPOINTS,
            "started_at": started_at.isoformat(),
        }
        document = {
            "created_at": datetime.now(UTC).isoformat(),
            "machine": facts,
            "settings": settings,
            "summary": summary,
            "samples": [asdict(s) for s in recording.samples],
        }
        args.results_dir.mkdir(parents=True, exist_ok=True)
        path = args.results_dir / f"soak-{stamp}.json"
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        print(f"soak: results in {_shown(path)}")
        if recording.samples:
            picture = _plot(args.results_dir / f"soak-{stamp}.png", recording, targets, facts, line)
            if picture is not None:
                print(f"soak: plot in {_shown(picture)}")
        print(_figures(summary))
        if args.keep_logs or not summary["passed"]:
            args.keep_logs = True
            print(f"soak: worker logs kept in {workdir}")
        print(line)  # the last line says whether the soak met its targets, and if not, which one
        return 0 if summary["passed"] else 1
    finally:
        if not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _plot(path: Path, rec: Recording, targets: Targets, facts: dict[str, object], line: str) -> Path | None:
    from bench.soak.plot import draw, title_of

    flats = [
        flatness(w, worker_series(rec.samples, w), targets.warmup_s, targets.flat_share) for w in rec.workers
    ]
    title = title_of(len(rec.workers), targets.rate, len(rec.brokers) or None, facts, line)
    try:
        return draw(path, rec.samples, rec.workers, flats, targets, title)
    except ImportError:  # matplotlib is in the bench extra (make soak installs it)
        print("soak: no plot: matplotlib is not installed (pip install -e '.[bench]')")
        return None


def _figures(summary: dict[str, object]) -> str:
    """A few lines of the figures a reader wants first (the JSON has them all)."""
    lines = []
    workers = summary.get("workers")
    if isinstance(workers, dict):
        for name, figures in workers.items():
            flat = figures["flatness"]
            judged = (
                f"after the warm-up {flat['start_mb']} → {flat['end_mb']} MB "
                f"({signed_pct(flat['growth_share'])}, fitted slope {flat['slope_mb_per_h']} MB/h)"
                if flat["flat"] is not None
                else "too few samples after the warm-up to judge"
            )
            lines.append(
                f"  {name}: RSS {figures['rss_first_mb']} → {figures['rss_last_mb']} MB (max "
                f"{figures['rss_max_mb']}); {judged}; CPU {figures['cpu_cores_mean']} cores"
            )
    lat = summary["latency_to_alert_timestamp"]
    rec = summary["latency_to_receipt"]
    assert isinstance(lat, dict) and isinstance(rec, dict)  # noqa: S101 - built by summarise
    lines.append(
        f"  lag: max {summary['lag_max']}, after warm-up {summary['lag_max_after_warmup']} (bound "
        f"{summary['lag_bound']}), "
        + (
            f"0 {summary['drained_s']} s after the traffic stopped"
            if summary["drained_s"] is not None
            else f"{summary['lag_at_end']} at the end"
        )
    )
    lines.append(
        f"  alerts: {summary['alerts_timed']}/{summary['matching_sent']}; latency to the alert's timestamp "
        f"p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms; to receipt p50 "
        f"{rec['p50_ms']} ms, p99 {rec['p99_ms']} ms"
    )
    lines.append(
        f"  offered {summary['offered_per_s']} hits/s; load average mean {summary['loadavg_1m_mean']}, "
        f"max {summary['loadavg_1m_max']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
