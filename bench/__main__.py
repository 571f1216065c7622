"""`python -m bench` (what `make bench` runs): every scenario in one invocation against KAFKA_BOOTSTRAP.

Why one invocation: the figures are compared as ratios (citygate / plain loop, citygate / Quix, citygate /
the client ceiling, two workers / one, a million-entry watchlist / 10,000), which only mean something when
measured on the same machine, broker and workload in one go.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench import gateway, retro, scenarios, watchlist_scale, web_scale
from bench.cluster import BenchError, TooFewHits
from bench.procs import ROOT
from bench.profile import render, summarise
from bench.report import machine_facts, ratios, table, write_json
from bench.retro import RetroScan
from bench.scenarios import Context, Drain, Latency
from bench.watchlist_scale import WatchlistScale
from bench.workload import MATCH_SHARE, WATCHLIST_SIZE, build_workload, prefill_hits

QUIX_MISSING = "quixstreams not installed (pip install '.[bench]')"
ALL = "abcdefmrgw"
PROFILE = "p"  # not in ALL: a cProfile'd worker is slower, so it runs only when asked for


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--hits", type=int, default=1_000_000, help="hits pre-filled per drain scenario")
    parser.add_argument("--latency-seconds", type=float, default=30.0, help="seconds per paced latency run")
    parser.add_argument("--latency-rate", type=float, default=1500.0, help="fixed offered rate, hits/s")
    parser.add_argument(
        "--latency-share",
        type=float,
        default=0.7,
        help="second latency run at this share of scenario a's hits/s (0 to skip)",
    )
    parser.add_argument(
        "--latency-match-share",
        type=float,
        default=0.01,
        help="share of paced hits on listed plates (more samples than the drain's 0.1%%)",
    )
    parser.add_argument(
        "--watchlist-million",
        type=int,
        default=1_000_000,
        metavar="N",
        help="entries in scenario m's watchlist (--quick: at most 100,000)",
    )
    parser.add_argument(
        "--retro-entries",
        type=int,
        default=100,
        metavar="N",
        help="scenario r lists N plates read in the hits and N/5 that no hit reads",
    )
    parser.add_argument(
        "--gateway-hits",
        type=int,
        default=20_000,
        metavar="N",
        help="hits scenario g posts through the HTTP gateway in each mode (--quick: at most 5,000)",
    )
    parser.add_argument(
        "--web-seconds",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds of alerts at 1,000/min to 50 web console sessions in scenario w (--quick: at most 20)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--scenarios",
        default=ALL,
        help=f"which of {ALL} to run (default all); add {PROFILE} for a cProfile of one worker's drain",
    )
    parser.add_argument("--quix-python", default=sys.executable, help="a python that has quixstreams")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--drain-timeout", type=float, default=None, help="s per drain (default from --hits)")
    parser.add_argument("--loglevel", default="info", help="the workers' log level")
    parser.add_argument("--keep-logs", action="store_true", help="keep the process logs (printed path)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 50k hits, 10 s latency runs, 100k-entry list for m"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.hits = min(args.hits, 50_000)
        args.latency_seconds = min(args.latency_seconds, 10.0)
        args.watchlist_million = min(args.watchlist_million, 100_000)
        args.gateway_hits = min(args.gateway_hits, 5_000)
        args.web_seconds = min(args.web_seconds, 20.0)
    args.gateway_hits = min(args.gateway_hits, args.hits)
    if args.watchlist_million < WATCHLIST_SIZE:
        parser.error(f"--watchlist-million must be at least the workload's {WATCHLIST_SIZE:,} entries")
    if args.retro_entries < 1:
        parser.error("--retro-entries must be at least 1")
    if args.drain_timeout is None:
        args.drain_timeout = 120.0 + args.hits / 250  # far beyond citygate's rate: a hang, not slowness
    unknown = set(args.scenarios) - set(ALL + PROFILE)
    if unknown:
        parser.error(f"unknown scenarios {''.join(sorted(unknown))}; choose from {ALL}")
    return args


def quix_version(python: str) -> str | None:
    """The quixstreams version importable by `python`, or None."""
    try:
        answer = subprocess.run(  # noqa: S603 - a python the user named
            [python, "-c", "import importlib.metadata as m, quixstreams; print(m.version('quixstreams'))"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return answer.stdout.strip() if answer.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP")
    if not bootstrap:
        print("bench: KAFKA_BOOTSTRAP is not set; run `make bench` (deploy/local/with-kafka starts a broker)")
        return 2
    quix = quix_version(args.quix_python) if "e" in args.scenarios else None
    facts = machine_facts(quix)
    print(
        f"bench: broker {bootstrap}; {facts['cpu_count']} cores; load average "
        f"{' '.join(f'{x:.2f}' for x in facts['loadavg_at_start'])}; commit {str(facts['git_commit'])[:12]}",  # type: ignore[attr-defined]
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="citygate-bench-"))
    run_id = uuid.uuid4().hex[:8]
    drains: dict[str, Drain] = {}
    latencies: list[Latency] = []
    scale: WatchlistScale | None = None
    scan: RetroScan | None = None
    gateway_bench: gateway.GatewayBench | None = None
    web_bench: web_scale.WebScale | None = None
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    started = time.monotonic()
    try:
        now = datetime.now(UTC)
        workload = build_workload(args.seed, now=now)
        print(f"bench: generating {args.hits:,} hits (seed {args.seed})", flush=True)
        prefill, stats = prefill_hits(workload, args.hits, seed=args.seed)
        print(f"bench: workload {stats.to_dict()}", flush=True)
        ctx = Context(
            bootstrap=bootstrap,
            run_id=run_id,
            workdir=workdir,
            workload=workload,
            prefill=prefill,
            prefill_stats=stats,
            drain_timeout=args.drain_timeout,
            seed=args.seed,
            loglevel=args.loglevel,
        )
        plan = [
            ("a", "a. citygate, 1 worker", scenarios.start_workers(1)),
            ("b", "b. plain aiokafka loop", scenarios.start_raw_loop()),
            ("f", "f. ceiling: aiokafka + orjson", scenarios.start_ceiling()),
            ("e", f"e. Quix Streams {quix}", scenarios.start_quix(args.quix_python, workdir)),
            ("d", "d. citygate, 2 workers", scenarios.start_workers(2)),
        ]
        for name, label, starter in plan:
            if name not in args.scenarios:
                continue
            if name == "e" and quix is None:
                print(f"[e] {QUIX_MISSING}", flush=True)
                skipped["e"] = QUIX_MISSING
                continue
            try:
                drains[name] = scenarios.drain(ctx, name, label, starter, matching=name != "f")
            except TooFewHits as exc:
                print(f"[{name}] skipped: {exc}", flush=True)
                skipped[name] = str(exc)
            except BenchError as exc:
                print(f"[{name}] FAILED: {exc}", flush=True)
                failed[name] = str(exc)
        if "m" in args.scenarios:
            try:
                drains["m"], scale = watchlist_scale.run(ctx, args.watchlist_million)
                if "a" in drains:
                    scale.drain_ratio_to_a = ratios(drains)["big_watchlist/10k"]
            except Exception as exc:  # noqa: BLE001 - say why, keep the other scenarios' figures
                print(f"[m] FAILED: {type(exc).__name__}: {exc}", flush=True)
                failed["m"] = str(exc)
        profile: dict[str, object] | None = None
        if PROFILE in args.scenarios:
            pstats_file = workdir / "worker.pstats"
            label = "p. citygate, 1 worker under cProfile"
            try:
                scenarios.drain(ctx, PROFILE, label, scenarios.start_workers(1, profile=pstats_file))
                profile = summarise(pstats_file)
                print(render(profile), flush=True)
            except (BenchError, OSError) as exc:
                print(f"[p] FAILED: {exc}", flush=True)
                failed["p"] = str(exc)
        if "c" in args.scenarios:
            rates = [(f"c. fixed {args.latency_rate:,.0f} hits/s", args.latency_rate)]
            if args.latency_share > 0 and "a" in drains:
                share = args.latency_share * drains["a"].hits_per_s
                rates.append((f"c. {args.latency_share:.0%} of a's max: {share:,.0f} hits/s", share))
            try:
                latencies = scenarios.latency(ctx, rates, args.latency_seconds, args.latency_match_share)
            except BenchError as exc:
                print(f"[c] FAILED: {exc}", flush=True)
                failed["c"] = str(exc)
        if "r" in args.scenarios:
            try:
                scan = retro.run(ctx, args.retro_entries, max(1, args.retro_entries // 5))
            except Exception as exc:  # noqa: BLE001 - the scanner is citygate's code under test: report it
                print(f"[r] FAILED: {type(exc).__name__}: {exc}", flush=True)
                failed["r"] = str(exc)
        if "g" in args.scenarios:
            try:
                gateway_bench = gateway.run(ctx, args.gateway_hits)
            except Exception as exc:  # noqa: BLE001 - the gateway is citygate's code under test: report it
                print(f"[g] FAILED: {type(exc).__name__}: {exc}", flush=True)
                failed["g"] = str(exc)
        if "w" in args.scenarios:
            try:
                web_bench = web_scale.run(ctx, args.web_seconds)
            except Exception as exc:  # noqa: BLE001 - the console is citygate's code under test: report it
                print(f"[w] FAILED: {type(exc).__name__}: {exc}", flush=True)
                failed["w"] = str(exc)
        del prefill, ctx
        facts["loadavg_at_end"] = os.getloadavg()
        print()
        print(table(drains, latencies, facts, scale, scan))
        if gateway_bench is not None:
            for run in gateway_bench.runs:
                print(
                    f"g. {run.mode:<7} {run.hits:>8,} hits {run.hits_per_s:>9,.0f} hits/s "
                    f"{run.hits_per_cpu_s:>9,.0f} hits per CPU-second"
                )
            print(
                f"g. per core, gateway / direct producer: single posts {gateway_bench.ratio('single')}, "
                f"NDJSON batches of {gateway.BATCH} {gateway_bench.ratio('batch')}"
            )
        if web_bench is not None:
            w = web_bench
            print(
                f"w. web console, {w.sessions} sessions, {w.alerts:,} alerts at {w.rate_per_min:,.0f}/min, "
                f"{w.checkpoints:,} checkpoints: {w.deliveries:,}/{w.expected_deliveries:,} delivered, "
                f"Kafka → page {w.latency_ms}, server {w.server_cores:.2f} cores, "
                f"RSS {w.server_rss_mb:.0f} MB"
            )
        settings = {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "watchlist_size": WATCHLIST_SIZE,
            "retro_absent_entries": max(1, args.retro_entries // 5),
            "match_share": MATCH_SHARE,
            "hits_partitions": 8,
            "total_seconds": round(time.monotonic() - started, 1),
        }
        path = write_json(
            args.results_dir,
            drains,
            latencies,
            facts,
            settings,
            stats.to_dict(),
            {**skipped, **{k: f"FAILED: {v}" for k, v in failed.items()}},
            profile,
            scale,
            scan,
            gateway_bench,
            web_bench,
        )
        print(f"\nbench: results in {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        if failed:
            print(f"bench: failed scenarios: {', '.join(sorted(failed))} (logs in {workdir})")
            args.keep_logs = True
            return 1
        return 0
    finally:
        if args.keep_logs:
            print(f"bench: process logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
