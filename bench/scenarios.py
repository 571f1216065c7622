"""The scenarios: drain a pre-filled topic (citygate, the plain loop, Quix, two workers) and paced latency.

Each scenario gets its own topic prefix and app id, fills its own anpr.hits with the same seeded bytes,
and deletes its topics and groups in a `finally`, so a failed scenario leaves nothing behind and cannot
disturb the next one. Every wait is bounded and says what it was waiting for when it gives up.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import TopicPartition

from bench import cluster
from bench.cluster import (
    BenchError,
    GroupWatch,
    TooFewHits,
    latency_clients,
    read_alerts,
    scenario_settings,
    settings_env,
)
from bench.procs import Child, Worker, stop_all
from bench.workload import HitStats, Workload, latency_hits, stamp, watchlist_records
from streams.settings import Settings
from streams.topics import ALERTS, ALERTS_RESTRICTED, HITS, WATCHLIST

POLL_S = 0.5
STALL_S = 120.0  # no committed progress for this long: the consumer is stuck, give up
MIN_TIMED_SHARE = 0.25  # of the pre-filled hits, left when every worker is ready, for a rate worth quoting
UPDATE_WAIT_S = 11.0  # dedup updates are sent at most every 10 s: wait for them before counting alerts


@dataclass
class Context:
    """What every scenario of one run shares."""

    bootstrap: str
    run_id: str
    workdir: Path
    workload: Workload
    prefill: list[tuple[bytes, bytes]]
    prefill_stats: HitStats
    drain_timeout: float
    seed: int
    loglevel: str = "info"


@dataclass
class Drain:
    """One throughput scenario's figures."""

    name: str
    label: str
    processes: int
    hits: int
    produce_s: float
    ready_s: float
    drain_s: float
    hits_per_s: float
    steady_hits_per_s: float | None
    cpu_s: float
    cpu_s_per_1k: float
    peak_rss_mb: float
    metrics_events: float | None
    alerts_total: int
    alerts_new: int
    alerts_updated: int
    alerts_restricted: int
    alerts_by_match_type: dict[str, int]
    expected_new: int
    loadavg_before: tuple[float, float, float]
    stalled_s: float = 0.0
    progress: list[tuple[float, int]] = field(default_factory=list)
    # The load average when the scenario began (before filling its topics) and when it ended (alerts read).
    loadavg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    # False for the client ceiling, which matches nothing: its alert columns mean nothing.
    matching: bool = True


@dataclass
class Latency:
    """One paced run's figures: hit production (event_time) → `new` alert received by an operator."""

    label: str
    offered_rate: float
    achieved_rate: float
    seconds: float
    hits_sent: int
    matching_sent: int
    alerts_received: int
    missing: int
    p50_ms: float | None
    p99_ms: float | None
    p999_ms: float | None
    max_ms: float | None
    worker_cpu_s_per_1k: float
    loadavg_before: tuple[float, float, float]
    # The harness produces and consumes on the same cores as the worker: what that took, per 1k hits.
    harness_cpu_s_per_1k: float = 0.0
    loadavg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    # The same latencies split at the alert record's timestamp (CreateTime: the moment the worker handed
    # the alert to its producer): hit produced -> alert sent by the worker, and alert sent -> operator.
    to_worker_send_p50_ms: float | None = None
    to_worker_send_p99_ms: float | None = None
    delivery_p50_ms: float | None = None
    delivery_p99_ms: float | None = None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


WatchlistFill = Callable[[Settings], None]


def _fill(ctx: Context, settings: Settings, watchlist: WatchlistFill | None = None) -> float:
    """The watchlist (the workload's, or what `watchlist` produces), then the hits; the hits' seconds."""
    if watchlist is None:
        cluster.produce(
            settings.kafka_bootstrap,
            settings.topic(WATCHLIST),
            watchlist_records(ctx.workload),
            partitions=1,
        )
    else:
        watchlist(settings)
    wait_past_listing(settings)
    seconds = cluster.produce(
        settings.kafka_bootstrap,
        settings.topic(HITS),
        ctx.prefill,
        partitions=settings.hits_partitions,
        stamp_every=2000,
    )
    cluster.skip_watchlist_backlog(settings)
    have = sum(cluster.end_offsets(settings.kafka_bootstrap, settings.topic(HITS)).values())
    if have != len(ctx.prefill):
        raise BenchError(
            f"{settings.topic(HITS)} holds {have} hits after filling, expected {len(ctx.prefill)}"
        )
    return seconds


def wait_past_listing(settings: Settings) -> None:
    """Sleep past the listing grace after producing the watchlist. Why: live matching answers only for hits
    that reached Kafka at least `listing_grace_s` after their entry was listed (the earlier ones are the
    entry's retro-match, which the skipped watchlist backlog never runs), so hits produced right after the
    list would match nothing in citygate and the baselines alike."""
    time.sleep(settings.listing_grace_s + 0.5)


def _wait_file(path: Path, child: Child, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        child.assert_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"{child.name} not ready after {timeout:.0f}s:\n{child.log_tail(40)}")
        time.sleep(0.2)


Starter = Callable[[Context, Settings, Path], tuple[list[Child], float]]


def drain(
    ctx: Context,
    name: str,
    label: str,
    start: Starter,
    *,
    matching: bool = True,
    watchlist: WatchlistFill | None = None,
) -> Drain:
    """Fill the scenario's anpr.hits, start the consumer(s), time them until the group has committed
    everything, then count the alerts (not for a consumer that does no `matching`). `watchlist` fills
    watchlist.entries instead of the workload's 10,000 entries."""
    settings = scenario_settings(ctx.bootstrap, ctx.run_id, name, str(ctx.workdir / f"data-{name}"))
    log_dir = ctx.workdir
    children: list[Child] = []
    loadavg_start = os.getloadavg()
    print(f"[{name}] {label}: filling {settings.topic(HITS)} with {len(ctx.prefill):,} hits", flush=True)
    try:
        cluster.setup_topics(settings)
        produce_s = _fill(ctx, settings, watchlist)
        total = len(ctx.prefill)
        print(f"[{name}] filled in {produce_s:.1f}s; starting", flush=True)
        loadavg = os.getloadavg()
        children, ready_s = start(ctx, settings, log_dir)
        workers = [c for c in children if isinstance(c, Worker)]
        # citygate's sensor side and both baselines consume anpr.hits in the `<app id>-hits` group.
        watch = GroupWatch(settings.kafka_bootstrap, settings.hits_group, settings.topic(HITS))
        try:
            result = _measure(ctx, name, label, settings, children, workers, watch, total, matching)
        finally:
            watch.close()
        result.produce_s = produce_s
        result.ready_s = ready_s
        result.loadavg_before = loadavg
        result.loadavg_start = loadavg_start
        result.loadavg_end = os.getloadavg()
        return result
    finally:
        stop_all(children)
        cluster.teardown(settings, [settings.app_id, settings.hits_group])


def _measure(
    ctx: Context,
    name: str,
    label: str,
    settings: Settings,
    children: list[Child],
    workers: list[Worker],
    watch: GroupWatch,
    total: int,
    matching: bool = True,
) -> Drain:
    started = time.monotonic()
    committed0 = watch.committed() or 0
    cpu0 = sum(c.cpu_seconds() for c in children)
    progress: list[tuple[float, int]] = [(0.0, committed0)]
    last_progress = started
    committed = committed0
    while committed < total:
        time.sleep(POLL_S)
        now = time.monotonic()
        for child in children:
            child.assert_alive()
        value = watch.committed()
        if value is not None and value > committed:
            committed = value
            last_progress = now
            progress.append((round(now - started, 3), committed))
        if now - last_progress > STALL_S:
            raise BenchError(f"[{name}] no committed progress for {STALL_S:.0f}s at {committed:,}/{total:,}")
        if now - started > ctx.drain_timeout:
            raise BenchError(
                f"[{name}] not drained after {ctx.drain_timeout:.0f}s: {committed:,}/{total:,} committed"
            )
    finished = time.monotonic()
    cpu = sum(c.cpu_seconds() for c in children) - cpu0
    drain_s = finished - started
    processed = total - committed0
    if processed < MIN_TIMED_SHARE * total:
        # The first worker ready starts alone; with too few hits it drains them before the others are up.
        raise TooFewHits(
            f"[{name}] {committed0:,} of {total:,} hits were drained before every worker was ready: "
            f"too few left to time (use more --hits)"
        )
    print(
        f"[{name}] drained {processed:,} hits in {drain_s:.1f}s: {processed / drain_s:,.0f} hits/s",
        flush=True,
    )
    # Dedup updates are due 10 s after a group's first alert; give them time before counting alerts.
    deadline = time.monotonic() + (UPDATE_WAIT_S if matching else 0.0)
    while time.monotonic() < deadline:
        for child in children:
            child.assert_alive()
        time.sleep(POLL_S)
    events = None
    if workers:
        counts = [w.events_valid() for w in workers]
        events = None if any(c is None for c in counts) else sum(c or 0.0 for c in counts)
    rss = sum(c.peak_rss_mb() for c in children)
    stop_all(children)
    alerts = read_alerts(settings)
    return Drain(
        name=name,
        label=label,
        processes=len(children),
        hits=processed,
        produce_s=0.0,
        ready_s=0.0,
        drain_s=round(drain_s, 3),
        hits_per_s=round(processed / drain_s, 1),
        steady_hits_per_s=_steady(progress, total),
        stalled_s=_stalled(progress, processed / drain_s),
        cpu_s=round(cpu, 2),
        cpu_s_per_1k=round(cpu / processed * 1000, 4),
        peak_rss_mb=round(rss, 1),
        metrics_events=events,
        alerts_total=alerts.total,
        alerts_new=alerts.new,
        alerts_updated=alerts.updated,
        alerts_restricted=alerts.restricted,
        alerts_by_match_type=alerts.by_match_type,
        expected_new=ctx.prefill_stats.sightings if matching else 0,
        loadavg_before=(0.0, 0.0, 0.0),
        progress=progress,
        matching=matching,
    )


def _stalled(progress: list[tuple[float, int]], mean_rate: float) -> float:
    """Seconds spent between commits at under 2% of the mean rate: a consumer stuck while the group still
    commits (seen with two Faust workers after their rebalance), as opposed to an evenly slow one."""
    stalled = 0.0
    for (t1, c1), (t2, c2) in zip(progress, progress[1:], strict=False):
        if t2 > t1 and (c2 - c1) / (t2 - t1) < 0.02 * mean_rate:
            stalled += t2 - t1
    return round(stalled, 1)


def _steady(progress: list[tuple[float, int]], total: int) -> float | None:
    """Rate between the first commits past 10% and past 90%: leaves out group join and the tail."""
    low = next(((t, c) for t, c in progress if c >= total * 0.1), None)
    high = next(((t, c) for t, c in progress if c >= total * 0.9), None)
    if low is None or high is None or high[0] <= low[0]:
        return None
    return round((high[1] - low[1]) / (high[0] - low[0]), 1)


# ---- starters: what runs in each throughput scenario ------------------------------------------------


def start_workers(count: int, profile: Path | None = None) -> Starter:
    """`count` citygate workers with the scenario's app id; ready when every /health is 200. With
    `profile` (one worker only), the worker runs under cProfile and writes that file when stopped."""

    def start(ctx: Context, settings: Settings, log_dir: Path) -> tuple[list[Child], float]:
        env = settings_env(settings)
        began = time.monotonic()
        workers: list[Child] = []
        try:
            for n in range(count):
                name = f"{settings.app_id}-worker{n + 1}"
                workers.append(Worker.start(name, env, log_dir, ctx.loglevel, profile=profile))
            for worker in workers:
                assert isinstance(worker, Worker)  # noqa: S101 - built just above
                worker.wait_healthy()
        except BaseException:
            stop_all(workers)
            raise
        return workers, round(time.monotonic() - began, 2)

    return start


def start_module(module: str, python: str, extra: Sequence[str] = (), *, matching: bool = True) -> Starter:
    """A baseline (`python -m <module>`) reading the scenario's topics; ready when it writes its file. A
    `matching` one is also told the watchlist and alert topics."""

    def start(ctx: Context, settings: Settings, log_dir: Path) -> tuple[list[Child], float]:
        ready = log_dir / f"{settings.app_id}.ready"
        argv = [
            python,
            "-m",
            module,
            "--bootstrap",
            settings.kafka_bootstrap,
            "--group",
            settings.hits_group,
            "--hits-topic",
            settings.topic(HITS),
            "--ready-file",
            str(ready),
        ]
        if matching:
            argv += [
                "--watchlist-topic",
                settings.topic(WATCHLIST),
                "--alerts-topic",
                settings.topic(ALERTS),
                "--restricted-topic",
                settings.topic(ALERTS_RESTRICTED),
            ]
        argv += extra
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        began = time.monotonic()
        child = Child.spawn(settings.app_id, argv, env, log_dir)
        try:
            _wait_file(ready, child)
        except BaseException:
            child.stop()
            raise
        return [child], round(time.monotonic() - began, 2)

    return start


def start_quix(python: str, workdir: Path) -> Starter:
    return start_module("bench.quix_baseline", python, ["--state-dir", str(workdir / "quix-state")])


def start_raw_loop() -> Starter:
    return start_module("bench.raw_loop", sys.executable)


def start_ceiling() -> Starter:
    """The client ceiling (`ceiling.py`): consume and JSON-decode, nothing else."""
    return start_module("bench.ceiling", sys.executable, matching=False)


# ---- latency ----------------------------------------------------------------------------------------


def latency(
    ctx: Context, rates: Sequence[tuple[str, float]], seconds: float, match_share: float
) -> list[Latency]:
    """One worker on an empty anpr.hits; for each rate, hits paced for `seconds` while an operator-side
    consumer times each `new` alert from its hit's event time (the moment the hit was produced)."""
    settings = scenario_settings(ctx.bootstrap, ctx.run_id, "c", str(ctx.workdir / "data-c"))
    children: list[Child] = []
    results: list[Latency] = []
    print(f"[c] latency: one worker, paced hits on {settings.topic(HITS)}", flush=True)
    try:
        cluster.setup_topics(settings)
        cluster.produce(
            settings.kafka_bootstrap, settings.topic(WATCHLIST), watchlist_records(ctx.workload), partitions=1
        )
        cluster.skip_watchlist_backlog(settings)
        children, _ = start_workers(1)(ctx, settings, ctx.workdir)
        worker = children[0]
        # A freshly started worker may still be joining its group: a few seconds of warm-up traffic, untimed.
        asyncio.run(_paced(settings, ctx, 200.0, 5.0, "LW", match_share, worker, warmup=True))
        for n, (label, rate) in enumerate(rates):
            loadavg = os.getloadavg()
            cpu0 = worker.cpu_seconds()
            own0 = _own_cpu()
            result = asyncio.run(_paced(settings, ctx, rate, seconds, f"L{n}", match_share, worker))
            cpu = worker.cpu_seconds() - cpu0
            result.harness_cpu_s_per_1k = round((_own_cpu() - own0) / max(1, result.hits_sent) * 1000, 4)
            result.label = label
            result.loadavg_before = loadavg
            result.worker_cpu_s_per_1k = round(cpu / max(1, result.hits_sent) * 1000, 4)
            result.loadavg_end = os.getloadavg()
            results.append(result)
            print(
                f"[c] {label}: {result.achieved_rate:,.0f} hits/s, {result.alerts_received} alerts, "
                f"p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, p99.9 {result.p999_ms} ms",
                flush=True,
            )
        return results
    finally:
        stop_all(children)
        cluster.teardown(settings, [settings.app_id, settings.hits_group])


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _paced(
    settings: Settings,
    ctx: Context,
    rate: float,
    seconds: float,
    tag: str,
    match_share: float,
    worker: Child,
    warmup: bool = False,
) -> Latency:
    producer, consumer = latency_clients(settings)
    await producer.start()
    await consumer.start()
    try:
        tps = [TopicPartition(settings.topic(t), 0) for t in (ALERTS, ALERTS_RESTRICTED)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)  # resolve "end" now, before the first hit is sent
        sent: dict[str, float] = {}
        latencies: list[float] = []
        to_send: list[float] = []  # hit produced -> the alert's CreateTime
        producing = asyncio.Event()
        producing.set()
        counts = {"hits": 0, "matching": 0, "elapsed": 0.0}

        async def produce() -> None:
            hits = latency_hits(ctx.workload, seed=ctx.seed, tag=tag, match_share=match_share)
            topic = settings.topic(HITS)
            started = time.monotonic()
            in_flight = []
            n = 0
            while (elapsed := time.monotonic() - started) < seconds:
                due = int(elapsed * rate) + 1
                while n < due:
                    hit = next(hits)
                    moment = datetime.now(UTC)
                    value = stamp(hit.value, moment.isoformat(timespec="microseconds"))
                    if hit.matching:
                        sent[hit.hit_id] = moment.timestamp()
                        counts["matching"] += 1
                    in_flight.append(await producer.send(topic, key=hit.key, value=value))
                    n += 1
                if len(in_flight) > 5000:
                    await asyncio.gather(*in_flight)
                    in_flight.clear()
                # Ticks of 5 ms: a gateway sends in small bursts; the event time is each hit's own send time.
                await asyncio.sleep(0.005)
            await asyncio.wait_for(asyncio.gather(*in_flight), timeout=60)
            counts["hits"] = n
            counts["elapsed"] = time.monotonic() - started
            producing.clear()

        async def consume() -> None:
            quiet_deadline: float | None = None
            while True:
                batches = await consumer.getmany(timeout_ms=20)
                received = time.time()
                for records in batches.values():
                    for record in records:
                        message = orjson.loads(record.value) if record.value else {}
                        if message.get("state") != "new":
                            continue
                        at = sent.pop(str(message["refs"][0]["id"]), None)  # type: ignore[index]
                        if at is not None:
                            latencies.append(received - at)
                            to_send.append(record.timestamp / 1000 - at)
                if producing.is_set():
                    continue
                if not sent:
                    return
                if quiet_deadline is None:
                    quiet_deadline = time.monotonic() + 30.0
                if time.monotonic() > quiet_deadline:
                    return  # what is still in `sent` never came: reported as missing
                if not worker.alive():
                    raise BenchError(f"{worker.name} died during the latency run:\n{worker.log_tail(40)}")

        await asyncio.wait_for(asyncio.gather(produce(), consume()), timeout=seconds + 120)
    finally:
        await consumer.stop()
        await producer.stop()
    ms = [x * 1000 for x in latencies]
    send_ms = [x * 1000 for x in to_send]
    delivery_ms = [total - part for total, part in zip(ms, send_ms, strict=True)]

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return Latency(
        label="warm-up" if warmup else tag,
        offered_rate=rate,
        achieved_rate=round(counts["hits"] / counts["elapsed"], 1) if counts["elapsed"] else 0.0,
        seconds=round(counts["elapsed"], 2),
        hits_sent=int(counts["hits"]),
        matching_sent=int(counts["matching"]),
        alerts_received=len(latencies),
        missing=len(sent),
        p50_ms=rounded(percentile(ms, 50)),
        p99_ms=rounded(percentile(ms, 99)),
        p999_ms=rounded(percentile(ms, 99.9)),
        max_ms=rounded(max(ms) if ms else None),
        worker_cpu_s_per_1k=0.0,
        loadavg_before=(0.0, 0.0, 0.0),
        to_worker_send_p50_ms=rounded(percentile(send_ms, 50)),
        to_worker_send_p99_ms=rounded(percentile(send_ms, 99)),
        delivery_p50_ms=rounded(percentile(delivery_ms, 50)),
        delivery_p99_ms=rounded(percentile(delivery_ms, 99)),
    )


def as_dict(result: Drain | Latency) -> dict[str, object]:
    return asdict(result)
