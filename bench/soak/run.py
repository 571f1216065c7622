"""The soak's live part: two `citygate worker` processes, hits paced at the design peak, and a sample of
every figure every few seconds until the traffic stops and the group has caught up.

Built from the bench's pieces: the workers are started by `scenarios.start_workers` as in scenario d, the
hits are the latency scenario's stream (`workload.latency_hits`: every matching read its own dedup group,
so every one yields a `new` alert that can be timed), produced as scenario c produces them (5 ms ticks,
each hit stamped with the moment it is sent), and memory and CPU are read from /proc by `procs`. The lag
is the broker's view (`streams.tools.kafka_io.BrokerLag`: end offsets − the group's committed offsets),
as an operator's lag dashboard sees it.
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench import cluster, scenarios
from bench.cluster import BenchError, latency_clients, scenario_settings
from bench.procs import ROOT, Worker, cpu_seconds, memory_mb, stop_all
from bench.scenarios import Context
from bench.soak.summary import Outcome, Sample, Targets, latency_stats
from bench.workload import HitStats, Workload, build_workload, latency_hits, stamp, watchlist_records
from streams.settings import Settings
from streams.tools.kafka_io import BrokerLag
from streams.topics import ALERTS, ALERTS_RESTRICTED, HITS, WATCHLIST

DRAIN_POLL_S = 1.0  # how often the lag is read once the traffic has stopped
GATHER_EVERY = 1000  # sends awaited in one go: a failed send shows within a second at the design peak
TICK_S = 0.005  # a gateway sends in small bursts (as scenario c)


class SoakFailure(BenchError):
    """A worker or broker died, or the hits could not be produced, while the soak ran."""


@dataclass(frozen=True)
class Plan:
    minutes: float
    sample_s: float
    match_share: float
    targets: Targets
    seed: int = 42
    loglevel: str = "info"

    @property
    def seconds(self) -> float:
        return self.minutes * 60


@dataclass
class Recording:
    """Everything the soak saw, filled in as it goes: a failure still leaves the samples taken so far."""

    workers: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)
    latencies_ms: list[float] = field(default_factory=list)
    received_ms: list[float] = field(default_factory=list)
    brokers: dict[int, int] = field(default_factory=dict)  # node → pid
    replication_factor: int = 1
    ready_s: float | None = None
    rss_at_ready_mb: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    events_valid: dict[str, float | None] = field(default_factory=dict)  # hits each worker handled
    lag_errors: int = 0
    logs: dict[str, str] = field(default_factory=dict)


def broker_pids() -> dict[int, int]:
    """node → pid of the local cluster in KAFKA_HOME_DIR (with-kafka sets it), from `deploy/local/kafka
    pids`; empty for a broker this harness did not get from there (it then cannot tell one died)."""
    if not os.environ.get("KAFKA_HOME_DIR"):
        return {}
    try:
        answer = subprocess.run(  # noqa: S603 - the repository's own script
            [str(ROOT / "deploy" / "local" / "kafka"), "pids"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    return parse_pids(answer.stdout)


def parse_pids(text: str) -> dict[int, int]:
    """node → pid from `deploy/local/kafka pids` ("node pid port" a line)."""
    found = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            found[int(parts[0])] = int(parts[1])
    return found


def _alive_rss(pid: int) -> float | None:
    """VmRSS of a live process in MiB, or None when it is gone (a zombie has no memory lines)."""
    try:
        rss, _ = memory_mb(pid)
    except OSError:
        return None
    return None if rss != rss else rss  # NaN: exiting


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _short(worker: Worker) -> str:
    return worker.name.rsplit("-", 1)[-1]  # "<app id>-worker1" → "worker1"


def run(bootstrap: str, plan: Plan, workdir: Path, recording: Recording) -> None:
    """Set up the soak's topics, start two workers, run the traffic and tear everything down again."""
    run_id = uuid.uuid4().hex[:8]
    base = scenario_settings(bootstrap, run_id, "soak", str(workdir / "data"))
    # with-kafka --brokers 3 sets CITYGATE_REPLICATION_FACTOR=3: the harness's topics are replicated like
    # the workers' own (scenario_settings alone would create them with one replica).
    settings = replace(base, replication_factor=Settings.from_env().replication_factor)
    recording.replication_factor = settings.replication_factor
    workload = build_workload(plan.seed, now=datetime.now(UTC))
    workers: list[Worker] = []
    try:
        cluster.setup_topics(settings)
        cluster.produce(bootstrap, settings.topic(WATCHLIST), watchlist_records(workload), partitions=1)
        cluster.skip_watchlist_backlog(settings)
        scenarios.wait_past_listing(settings)
        ctx = Context(bootstrap, run_id, workdir, workload, [], HitStats(), 0.0, plan.seed, plan.loglevel)
        print("soak: starting two workers", flush=True)
        children, recording.ready_s = scenarios.start_workers(2)(ctx, settings, workdir)
        workers = [c for c in children if isinstance(c, Worker)]
        recording.workers = [_short(w) for w in workers]
        recording.logs = {_short(w): str(w.log_path) for w in workers}
        recording.rss_at_ready_mb = {_short(w): round(memory_mb(w.pid)[0], 1) for w in workers}
        recording.brokers = broker_pids()
        print(
            f"soak: workers healthy in {recording.ready_s:.1f} s (RSS {recording.rss_at_ready_mb} MB); "
            f"{plan.minutes:g} min at {plan.targets.rate:,.0f} hits/s, a sample every {plan.sample_s:g} s",
            flush=True,
        )
        asyncio.run(_Soak(settings, workload, plan, workers, recording).run())
        for w in workers:
            recording.events_valid[_short(w)] = w.events_valid()
            recording.peak_rss_mb[_short(w)] = round(w.peak_rss_mb(), 1)
    finally:
        stop_all(workers)
        cluster.teardown(settings, [settings.app_id, settings.hits_group])


class _Soak:
    """The traffic, the alert watch and the sampler of one soak, in one event loop."""

    def __init__(
        self, settings: Settings, workload: Workload, plan: Plan, workers: list[Worker], rec: Recording
    ) -> None:
        self.settings = settings
        self.workload = workload
        self.plan = plan
        self.workers = workers
        self.rec = rec
        self.pending: dict[str, float] = {}  # hit id of a matching hit → when it was sent (epoch s)
        self.sent = 0
        self.interval_latency: list[float] = []
        self.interval_received: list[float] = []
        self.t0 = self.last_at = time.monotonic()
        self.last_sent = 0
        self.last_cpu: dict[str, float] = {}
        self.last_own_cpu = _own_cpu()
        self.last_broker_cpu = 0.0

    async def run(self) -> None:
        settings = self.settings
        producer, consumer = latency_clients(settings)
        self.hits_lag = await asyncio.to_thread(BrokerLag, settings, settings.hits_group, HITS)
        self.book_lag = await asyncio.to_thread(BrokerLag, settings, settings.app_id, ALERTS)
        await producer.start()
        await consumer.start()
        tasks: list[asyncio.Task[None]] = []
        try:
            tps = [TopicPartition(settings.topic(t), 0) for t in (ALERTS, ALERTS_RESTRICTED)]
            consumer.assign(tps)
            await consumer.seek_to_end(*tps)
            for tp in tps:
                await consumer.position(tp)  # resolve "end" now, before the first hit is sent
            self.t0 = self.last_at = time.monotonic()
            self.last_cpu = {_short(w): w.cpu_seconds() for w in self.workers}
            self.last_broker_cpu = self._brokers_cpu()
            producing = asyncio.create_task(self._produce(producer))
            watching = asyncio.create_task(self._watch_alerts(consumer))
            tasks = [producing, watching]
            await self._soak_phase(producing, watching)
            await self._drain_phase()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await consumer.stop()
            await producer.stop()
            for reader in (self.hits_lag, self.book_lag):
                await asyncio.to_thread(reader.close)
        self.rec.outcome.missing = len(self.pending)

    async def _soak_phase(self, producing: asyncio.Task[None], watching: asyncio.Task[None]) -> None:
        every = self.plan.sample_s
        k = 1
        while not producing.done():
            wait = self.t0 + k * every - time.monotonic()
            await asyncio.wait({producing}, timeout=max(0.0, wait))
            if watching.done():
                watching.result()  # raises what stopped the alert watch
            if producing.done():
                break
            sample = await self._sample("soak")
            k += 1
            if k % max(1, round(60 / every)) == 0:
                print(
                    f"soak: {sample.t_s / 60:5.1f} min  RSS {sample.rss_mb} MB  lag {sample.lag}  "
                    f"p99 {sample.latency.p99_ms} ms  {sample.offered_per_s:,.0f} hits/s  "
                    f"load {sample.loadavg[0]:.2f}",
                    flush=True,
                )
        try:
            producing.result()
        except BenchError:
            raise
        except Exception as exc:
            raise SoakFailure(
                f"producing hits failed at {self._minutes()} min: {type(exc).__name__}: {exc}"
            ) from exc
        if time.monotonic() - self.last_at >= every / 2:  # the traffic's last part interval
            await self._sample("soak")

    async def _drain_phase(self) -> None:
        """The traffic has stopped: wait for the group's lag to reach 0 and the last alerts to arrive."""
        outcome = self.rec.outcome
        stopped = time.monotonic()
        timeout = self.plan.targets.drain_timeout_s
        while True:
            await asyncio.sleep(DRAIN_POLL_S)
            self._check_alive()
            lag, _ = await self._read_lag(self.hits_lag)
            since = time.monotonic() - stopped
            outcome.lag_at_end = lag
            if lag == 0 and outcome.drained_s is None:
                outcome.drained_s = round(since, 1)
            if (outcome.drained_s is not None and not self.pending) or since >= timeout:
                break
            if time.monotonic() - self.last_at >= self.plan.sample_s:
                await self._sample("drain")
        final = await self._sample("drain")
        if final.lag is not None:
            outcome.lag_at_end = final.lag

    async def _produce(self, producer: AIOKafkaProducer) -> None:
        """Hits at the plan's rate for its duration, each stamped with the moment it is sent."""
        plan = self.plan
        hits = latency_hits(self.workload, seed=plan.seed, tag="S", match_share=plan.match_share)
        topic = self.settings.topic(HITS)
        in_flight: list[asyncio.Future[object]] = []
        rate = plan.targets.rate
        outcome = self.rec.outcome
        while (elapsed := time.monotonic() - self.t0) < plan.seconds:
            due = int(elapsed * rate) + 1
            while self.sent < due:
                hit = next(hits)
                moment = datetime.now(UTC)
                value = stamp(hit.value, moment.isoformat(timespec="microseconds"))
                if hit.matching:
                    self.pending[hit.hit_id] = moment.timestamp()
                    outcome.matching_sent += 1
                in_flight.append(await producer.send(topic, key=hit.key, value=value))
                self.sent += 1
            if len(in_flight) >= GATHER_EVERY:
                await asyncio.gather(*in_flight)
                in_flight.clear()
            outcome.offered, outcome.traffic_s = self.sent, round(elapsed, 2)  # so far, should it fail
            await asyncio.sleep(TICK_S)
        await asyncio.wait_for(asyncio.gather(*in_flight), timeout=60)
        outcome.offered = self.sent
        outcome.traffic_s = round(elapsed, 2)  # when the loop saw the duration was up

    async def _watch_alerts(self, consumer: AIOKafkaConsumer) -> None:
        """Time each matching hit's `new` alert: to the alert record's timestamp (stamped by the worker's
        producer when it sent it) and to the moment this consumer had it."""
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            received = time.time()
            for records in batches.values():
                for record in records:
                    if not record.value:
                        continue
                    message = orjson.loads(record.value)
                    if message.get("state") != "new":
                        continue
                    refs = message.get("refs") or [{}]
                    at = self.pending.pop(str(refs[0].get("id")), None)
                    if at is None:
                        continue
                    to_stamp = record.timestamp - at * 1000
                    to_receipt = (received - at) * 1000
                    self.interval_latency.append(to_stamp)
                    self.interval_received.append(to_receipt)
                    self.rec.latencies_ms.append(round(to_stamp, 2))
                    self.rec.received_ms.append(round(to_receipt, 2))
                    self.rec.outcome.alerts_timed += 1

    def _minutes(self) -> str:
        return f"{(time.monotonic() - self.t0) / 60:.1f}"

    def _check_alive(self) -> None:
        for worker in self.workers:
            if not worker.alive():
                raise SoakFailure(
                    f"{_short(worker)} exited with code {worker.process.returncode} at {self._minutes()} min "
                    f"(log: {worker.log_path})"
                )
        for node, pid in self.rec.brokers.items():
            if _alive_rss(pid) is None:
                raise SoakFailure(f"broker node {node} (pid {pid}) died at {self._minutes()} min")

    def _brokers_cpu(self) -> float:
        """CPU seconds of every broker JVM so far (the cluster shares the workers' cores here)."""
        total = 0.0
        for pid in self.rec.brokers.values():
            try:
                total += cpu_seconds(pid)
            except OSError:
                continue  # a dead broker is reported by `_check_alive`
        return total

    async def _read_lag(self, reader: BrokerLag) -> tuple[int | None, int | None]:
        """(total, largest partition's) lag, or (None, None) when the broker could not say just now."""
        try:
            lags = await asyncio.to_thread(reader.lags)
        except Exception:  # noqa: BLE001 - a sample without lag; a dead broker is caught by its pid
            self.rec.lag_errors += 1
            return None, None
        return sum(lags.values()), max(lags.values(), default=0)

    async def _sample(self, phase: str) -> Sample:
        self._check_alive()
        lag, lag_max = await self._read_lag(self.hits_lag)
        command_lag, _ = await self._read_lag(self.book_lag)
        now = time.monotonic()
        interval = max(1e-6, now - self.last_at)
        rss: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for worker in self.workers:
            name = _short(worker)
            rss[name] = round(memory_mb(worker.pid)[0], 1)
            seconds = worker.cpu_seconds()
            cpu[name] = round((seconds - self.last_cpu.get(name, seconds)) / interval, 3)
            self.last_cpu[name] = seconds
        own = _own_cpu()
        brokers = [_alive_rss(pid) for pid in self.rec.brokers.values()]
        broker_cpu = self._brokers_cpu()
        sample = Sample(
            t_s=round(now - self.t0, 2),
            phase=phase,
            interval_s=round(interval, 2),
            offered=self.sent - self.last_sent,
            offered_per_s=round((self.sent - self.last_sent) / interval, 1),
            rss_mb=rss,
            cpu_cores=cpu,
            lag=lag,
            lag_max_partition=lag_max,
            command_lag=command_lag,
            latency=latency_stats(self.interval_latency),
            received=latency_stats(self.interval_received),
            outstanding=len(self.pending),
            loadavg=os.getloadavg(),
            brokers_rss_mb=[round(b, 1) for b in brokers if b is not None],
            harness_rss_mb=round(memory_mb(os.getpid())[0], 1),
            harness_cpu_cores=round((own - self.last_own_cpu) / interval, 3),
            brokers_cpu_cores=round((broker_cpu - self.last_broker_cpu) / interval, 3),
        )
        self.rec.samples.append(sample)
        self.last_at, self.last_sent, self.last_own_cpu = now, self.sent, own
        self.last_broker_cpu = broker_cpu
        self.interval_latency, self.interval_received = [], []
        return sample
