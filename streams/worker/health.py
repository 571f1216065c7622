"""Worker health the counters in `streams/worker/metrics.py` cannot show: whether the worker can work at
all, consumer lag and silent checkpoint sites.

- **Can it work** (`/health`, `health_report`): 200 only when the watchlist replica is complete and has
  heard from the cluster within `health_stale_s` (its consumer fetches continuously, answered about twice a
  second even when nothing changes, so a silence means the brokers leading its partitions are unreachable);
  otherwise 503 with the reasons. An orchestrator keeps traffic and restarts away from a worker that says
  503, and a person reading the body sees why.

- **Consumer lag** per partition of the topics this worker consumes, for the partitions assigned to it:
  the partition's end offset (high-water mark) minus the offset the consumer group has committed, read
  at scrape time without a broker round trip: from Faust's consumer for the watchlist and command side,
  from the sensor side's own ledger (streams/worker/sensor/consumer.py) for anpr.hits. The arithmetic is
  `streams.lag`; `streams.tools.kafka_io.BrokerLag` asks the broker instead, for tools and tests.
- **Silent checkpoints**: a camera or its gateway going quiet is the most common real fault, and it shows as
  nothing at all. `CheckpointHealth` (pure, time passed in) keeps, per site, the last event time and an
  exponentially weighted estimate of its usual gap between hits; a site is silent once
  `now - last_seen > max(min_silence, gap_factor * usual_gap)`. It is fed per batch of hits and reports the
  count of silent sites and only the `top_k` most overdue ones, so the checkpoint label stays bounded.
- **Dark cameras**: a camera's agent that says in its heartbeat that the camera is not streaming
  (`cameras.status`, written by the gateways) makes its checkpoint silent at once, before the missing hits
  would: `CameraStatuses` keeps every camera's newest heartbeat (all partitions, so a worker that takes a
  partition over knows its dark cameras at once), and a checkpoint counts as silent while a camera of it
  said "not streaming" later than the checkpoint's last hit. A hit after that report (another lane, or the
  camera back) is newer news and clears it; the dark cameras stay counted until a heartbeat says streaming.

`CitygateHealth` wires them into a worker: `observe_hits` from the hits consumer after each batch, and a
collector on the metrics registry that computes the gauges when /metrics is scraped.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from streams import topics
from streams.lag import LagMap, consumer_lag
from streams.settings import Settings
from streams.worker.faust_internals import committed_offsets as committed_offsets_of

log = logging.getLogger(__name__)

DEFAULT_TOP_K = 20

# (checkpoint id, event time, partition of anpr.hits it came from): what the hits consumer feeds per batch.
Sighting = tuple[str, datetime, int]

# ------------------------------------------------------------------------------------------ /health


def health_report(
    *,
    ready: bool,
    entries: int,
    fresh_as_of: datetime | None,
    hits_partitions: Collection[int] | None,
    now: datetime,
    stale_after_s: float,
) -> tuple[int, dict[str, object]]:
    """(HTTP status, JSON body) of /health: 200 with status "ok", or 503 with status "unavailable" and
    one reason per problem, each "code: what a person can check"."""
    reasons = []
    fresh_s = None if fresh_as_of is None else max(0.0, (now - fresh_as_of).total_seconds())
    if not ready:
        reasons.append("watchlist_loading: the watchlist replica has not yet read the whole watchlist")
    elif fresh_s is None or fresh_s > stale_after_s:
        silent = "ever" if fresh_s is None else f"{fresh_s:.0f} s"
        reasons.append(
            f"cluster_unreachable: no fetch from the cluster answered for {silent} "
            f"(limit {stale_after_s:.0f} s); check the brokers and the network to them"
        )
    body: dict[str, object] = {
        "status": "unavailable" if reasons else "ok",
        "reasons": reasons,
        "watchlist_ready": ready,
        "watchlist_entries": entries,
        "watchlist_fresh_s": None if fresh_s is None else round(fresh_s, 1),
        "hits_partitions": None if hits_partitions is None else sorted(hits_partitions),
    }
    return (503 if reasons else 200), body


# ---------------------------------------------------------------------------------------------- lag


class FaustConsumerLag:
    """Lag of the partitions assigned to this worker, from Faust's own consumer.

    `consumer.highwater(tp)` is the high-water mark of the last fetch response; the committed offsets are
    what this consumer last committed for the group (or read back on assignment; see faust_internals). Both
    are in memory, so a scrape costs no broker round trip. Only the topics in `logical_topics` count.
    """

    def __init__(
        self, consumer: Callable[[], Any | None], settings: Settings, logical_topics: Collection[str]
    ) -> None:
        self.consumer = consumer  # Faust's consumer once it holds partitions, else None
        self._logical = {settings.topic(name): name for name in logical_topics}

    def lags(self) -> LagMap:
        consumer = self.consumer()
        if consumer is None:
            return {}
        try:
            assigned = [tp for tp in consumer.assignment() if tp.topic in self._logical]
            committed_offsets = committed_offsets_of(consumer)
            ends = {(self._logical[tp.topic], tp.partition): consumer.highwater(tp) for tp in assigned}
            committed = {
                (self._logical[tp.topic], tp.partition): committed_offsets.get(tp) for tp in assigned
            }
        except Exception:  # noqa: BLE001 - a scrape must never fail because the consumer is mid-rebalance
            log.debug("consumer lag unavailable", exc_info=True)
            return {}
        return consumer_lag(ends, committed)


# ---------------------------------------------------------------------------------- silent checkpoints


@dataclass(frozen=True, slots=True)
class SilentCheckpoint:
    checkpoint_id: str
    silent_s: float  # now − last event time seen from the site
    threshold_s: float  # how long this site may be quiet before it counts as silent

    @property
    def overdue_s(self) -> float:
        return self.silent_s - self.threshold_s


@dataclass(frozen=True, slots=True)
class SilenceReport:
    tracked: int  # sites with a known usual gap, i.e. that can be judged
    silent: int  # all silent sites, not only the top K
    top: tuple[SilentCheckpoint, ...]  # the `top_k` most overdue, most overdue first
    untracked: int  # sites refused because `max_tracked` was reached


class _Site:
    __slots__ = ("last", "gap", "partition")

    def __init__(self, last: float, partition: int) -> None:
        self.last = last  # epoch seconds of the newest event time seen
        self.gap: float | None = None  # EWMA of the gaps between hits, seconds
        self.partition = partition


class CheckpointHealth:
    """Which checkpoint sites have gone quiet for longer than is usual for them.

    Memory is one small record per site, at most `max_tracked` sites (a city has a few thousand; hits carry
    validated ids, so junk cannot flood it). A site needs two hits at least `min_gap` apart before it has a
    usual gap and can be judged; gaps shorter than `min_gap` (one car in several lanes or frames) are the
    same pass. A gap counts only up to the site's threshold: an outage is not its usual rate, while a site
    that slows down (night) still raises its estimate by up to (gap_factor − 1) × alpha of it per hit.
    A site quiet for longer than `forget_after` is dropped (its alert clears: by then someone knows).
    Per-site state is per worker: after a rebalance `retain_partitions` drops the sites of partitions this
    worker no longer holds, and their new owner learns them from their next hits.
    """

    def __init__(
        self,
        *,
        top_k: int = DEFAULT_TOP_K,
        min_silence: timedelta = timedelta(minutes=5),
        gap_factor: float = 10.0,
        alpha: float = 0.1,
        min_gap: timedelta = timedelta(seconds=1),
        max_tracked: int = 20_000,
        forget_after: timedelta = timedelta(days=7),
    ) -> None:
        if top_k < 0 or max_tracked < 1 or not 0 < alpha <= 1 or gap_factor <= 0:
            raise ValueError("top_k ≥ 0, max_tracked ≥ 1, 0 < alpha ≤ 1 and gap_factor > 0")
        self.top_k = top_k
        self.min_silence_s = min_silence.total_seconds()
        self.gap_factor = gap_factor
        self.alpha = alpha
        self.min_gap_s = min_gap.total_seconds()
        self.max_tracked = max_tracked
        self.forget_after_s = forget_after.total_seconds()
        self._sites: dict[str, _Site] = {}
        self.untracked = 0

    def __len__(self) -> int:
        return len(self._sites)

    def observe_batch(self, sightings: Iterable[Sighting], now: datetime) -> None:
        """Fold in one batch of hits; event times later than `now` count as `now` (camera clock skew)."""
        now_s = now.timestamp()
        sites = self._sites
        alpha, min_gap, floor, factor = self.alpha, self.min_gap_s, self.min_silence_s, self.gap_factor
        for checkpoint_id, event_time, partition in sightings:
            at = min(event_time.timestamp(), now_s)
            site = sites.get(checkpoint_id)
            if site is None:
                if len(sites) >= self.max_tracked:
                    self.untracked += 1
                    continue
                sites[checkpoint_id] = _Site(at, partition)
                continue
            site.partition = partition
            gap = at - site.last
            if gap < min_gap:  # same pass, or out of order: only ever move forward
                continue
            site.last = at
            # A gap longer than the site's threshold was an outage, not its usual rate: it counts only up to
            # the threshold, so a camera back from a day's outage is judged by its usual rate again at once.
            if site.gap is None:
                site.gap = min(gap, floor)
            else:
                gap = min(gap, max(floor, factor * site.gap))
                site.gap += alpha * (gap - site.gap)

    def threshold_s(self, checkpoint_id: str) -> float | None:
        site = self._sites.get(checkpoint_id)
        if site is None or site.gap is None:
            return None
        return max(self.min_silence_s, self.gap_factor * site.gap)

    def report(self, now: datetime, dark: Mapping[str, float] | None = None) -> SilenceReport:
        """The silent sites as of `now`; `dark` maps a checkpoint to the newest time (epoch seconds) one
        of its cameras said it is not streaming (`CameraStatuses.dark`): such a site is silent at once,
        with no threshold, unless a hit came after that report."""
        now_s = now.timestamp()
        dark = dark or {}
        silent: list[SilentCheckpoint] = []
        forget = []
        tracked = 0
        floor, factor = self.min_silence_s, self.gap_factor
        # A copy: safe even if /metrics were ever served from another thread (web_in_thread).
        for checkpoint_id, site in list(self._sites.items()):
            quiet = now_s - site.last
            if quiet > self.forget_after_s:
                forget.append(checkpoint_id)
                continue
            reported_dark = dark.get(checkpoint_id)
            if reported_dark is not None and site.last < reported_dark:
                tracked += 1
                silent.append(SilentCheckpoint(checkpoint_id, quiet, 0.0))
                continue
            if site.gap is None:
                continue
            tracked += 1
            threshold = max(floor, factor * site.gap)
            if quiet > threshold:
                silent.append(SilentCheckpoint(checkpoint_id, quiet, threshold))
        for checkpoint_id in forget:
            del self._sites[checkpoint_id]
        for checkpoint_id, since in dark.items():
            if checkpoint_id not in self._sites:  # dark before this worker saw a hit from it
                tracked += 1
                silent.append(SilentCheckpoint(checkpoint_id, max(0.0, now_s - since), 0.0))
        top = heapq.nlargest(self.top_k, silent, key=lambda s: (s.overdue_s, s.checkpoint_id))
        return SilenceReport(tracked=tracked, silent=len(silent), top=tuple(top), untracked=self.untracked)

    def retain_partitions(self, partitions: Collection[int]) -> None:
        """Forget the sites of partitions this worker no longer holds (their new owner tracks them)."""
        gone = [cid for cid, site in list(self._sites.items()) if site.partition not in partitions]
        for checkpoint_id in gone:
            del self._sites[checkpoint_id]


class _CameraReport:
    __slots__ = ("checkpoint_id", "partition", "streaming", "at")

    def __init__(self, checkpoint_id: str, partition: int, streaming: bool, at: float) -> None:
        self.checkpoint_id = checkpoint_id
        self.partition = partition  # of the checkpoint's hits on anpr.hits
        self.streaming = streaming
        self.at = at  # epoch seconds of the heartbeat


class CameraStatuses:
    """The newest heartbeat of each camera, as `cameras.status` says (key: the camera's registry key).

    Every worker keeps all of them (one small record per camera, at most `max_cameras`) and judges only
    the checkpoints on the `anpr.hits` partitions it holds, so each dark camera is counted by one worker
    and a rebalance loses none. An older heartbeat than the one kept (a gateway's retry) changes nothing;
    a heartbeat dated ahead of `now` counts as `now` (camera clock skew); one older than `forget_after`
    (an agent long gone) is dropped, and so is a camera whose record was deleted (a tombstone).
    """

    def __init__(self, *, max_cameras: int = 100_000, forget_after: timedelta = timedelta(days=7)) -> None:
        if max_cameras < 1:
            raise ValueError("max_cameras ≥ 1")
        self.max_cameras = max_cameras
        self.forget_after_s = forget_after.total_seconds()
        self._cameras: dict[str, _CameraReport] = {}
        self.untracked = 0

    def __len__(self) -> int:
        return len(self._cameras)

    def observe(
        self,
        camera: str,
        *,
        checkpoint_id: str,
        partition: int,
        streaming: bool,
        reported_at: datetime,
        now: datetime,
    ) -> None:
        now_s = now.timestamp()
        at = min(reported_at.timestamp(), now_s)
        if now_s - at > self.forget_after_s:
            return
        known = self._cameras.get(camera)
        if known is not None and at < known.at:
            return
        if known is None and len(self._cameras) >= self.max_cameras:
            self.untracked += 1
            return
        self._cameras[camera] = _CameraReport(checkpoint_id, partition, streaming, at)

    def forget(self, camera: str) -> None:
        self._cameras.pop(camera, None)

    def dark(self, partitions: Collection[int], now: datetime) -> tuple[dict[str, float], int]:
        """(checkpoint → newest "not streaming" report, epoch seconds; count of dark cameras) for the
        checkpoints on `partitions`."""
        now_s = now.timestamp()
        reports: dict[str, float] = {}
        cameras = 0
        for camera, report in list(self._cameras.items()):
            if now_s - report.at > self.forget_after_s:
                del self._cameras[camera]
                continue
            if report.streaming or report.partition not in partitions:
                continue
            cameras += 1
            reports[report.checkpoint_id] = max(report.at, reports.get(report.checkpoint_id, report.at))
        return reports, cameras


# ---------------------------------------------------------------------------------- wiring to a worker


class HealthCollector(Collector):
    """Computes the health gauges when the registry is scraped (a few ms for a city's sites)."""

    def __init__(
        self,
        checkpoints: CheckpointHealth,
        lags: Callable[[], LagMap],
        hits_partitions: Callable[[], set[int] | None],
        clock: Callable[[], datetime],
        cameras: CameraStatuses | None = None,
    ) -> None:
        self.checkpoints = checkpoints
        self.cameras = cameras if cameras is not None else CameraStatuses()
        self.lags = lags
        self.hits_partitions = hits_partitions
        self.clock = clock
        self._held: set[int] = set()  # the partitions last known held (None mid-rebalance)

    def _families(self) -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily(
                "citygate_consumer_lag",
                "Messages not yet committed by this app's consumer group (end offset − committed offset), "
                "per partition assigned to this worker.",
                labels=["topic", "partition"],
            ),
            GaugeMetricFamily(
                "citygate_checkpoints_tracked",
                "Checkpoint sites this worker can judge (seen on its anpr.hits partitions, usual gap known).",
            ),
            GaugeMetricFamily(
                "citygate_checkpoints_silent",
                "Checkpoint sites silent for longer than max(5 min, 10 × their usual gap between hits).",
            ),
            GaugeMetricFamily(
                "citygate_checkpoint_silent_seconds",
                "Seconds since the last hit of each of the K most overdue silent sites (only those K).",
                labels=["checkpoint"],
            ),
            GaugeMetricFamily(
                "citygate_cameras_dark",
                "Cameras of this worker's checkpoints whose newest heartbeat said they are not streaming.",
            ),
        )

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag, tracked, silent, silent_seconds, cameras_dark = self._families()
        for (topic, partition), value in sorted(self.lags().items()):
            lag.add_metric([topic, str(partition)], value)
        held = self.hits_partitions()
        if held is not None:
            self.checkpoints.retain_partitions(held)
            self._held = held
        now = self.clock()
        dark, dark_cameras = self.cameras.dark(self._held, now)
        report = self.checkpoints.report(now, dark)
        tracked.add_metric([], report.tracked)
        silent.add_metric([], report.silent)
        for site in report.top:
            silent_seconds.add_metric([site.checkpoint_id], round(site.silent_s, 3))
        cameras_dark.add_metric([], dark_cameras)
        yield from (lag, tracked, silent, silent_seconds, cameras_dark)


class CitygateHealth:
    """Consumer lag and checkpoint health of one worker, registered on its metrics registry."""

    def __init__(
        self,
        faust_consumer: Callable[[], Any | None],
        settings: Settings,
        registry: CollectorRegistry,
        *,
        hits_lags: Callable[[], LagMap],
        hits_partitions: Callable[[], set[int] | None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        top_k: int = DEFAULT_TOP_K,
    ) -> None:
        # Faust reads the watchlist and the command side; anpr.hits has its own consumer (worker/sensor/).
        self.lag = FaustConsumerLag(faust_consumer, settings, topics.FAUST_INPUTS)
        self.checkpoints = CheckpointHealth(top_k=top_k)
        self.cameras = CameraStatuses()  # fed by followers.CameraStatusFollower
        self.clock = clock

        def lags() -> LagMap:
            return {**self.lag.lags(), **hits_lags()}

        registry.register(HealthCollector(self.checkpoints, lags, hits_partitions, clock, self.cameras))

    def observe_hits(self, sightings: Iterable[Sighting]) -> None:
        """Call once per batch of valid hits, after the batch is handled."""
        self.checkpoints.observe_batch(sightings, self.clock())
