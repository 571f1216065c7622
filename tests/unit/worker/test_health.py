"""streams/worker/health.py: silent checkpoint sites (pure, time passed in) and consumer lag."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faust.types import TP
from prometheus_client import generate_latest

from streams.lag import consumer_lag
from streams.settings import Settings
from streams.worker.health import (
    CameraStatuses,
    CheckpointHealth,
    CitygateHealth,
    FaustConsumerLag,
    Sighting,
    health_report,
)
from streams.worker.metrics import Metrics
from streams.worker.sensor.consumer import OffsetLedger
from tests.unit.fixtures import NOW


def steady(
    checkpoint: str, *, every_s: float, count: int, until: datetime, partition: int = 0
) -> list[Sighting]:
    """`count` hits from one site, `every_s` apart, the last one at `until`."""
    return [(checkpoint, until - timedelta(seconds=every_s * n), partition) for n in reversed(range(count))]


def test_a_busy_site_is_silent_after_the_five_minute_floor() -> None:
    health = CheckpointHealth()
    health.observe_batch(steady("YZ-EC-0001", every_s=20, count=30, until=NOW), NOW)
    assert health.threshold_s("YZ-EC-0001") == 300  # 10 × 20 s is below the floor

    quiet = health.report(NOW + timedelta(minutes=4, seconds=59))
    assert (quiet.tracked, quiet.silent, quiet.top) == (1, 0, ())

    report = health.report(NOW + timedelta(minutes=6))
    assert report.silent == 1
    [site] = report.top
    assert (site.checkpoint_id, site.silent_s, site.threshold_s, site.overdue_s) == (
        "YZ-EC-0001",
        360,
        300,
        60,
    )


def test_a_quiet_site_is_judged_by_its_own_usual_gap() -> None:
    health = CheckpointHealth()
    health.observe_batch(steady("YZ-EC-0420", every_s=120, count=10, until=NOW), NOW)
    assert health.threshold_s("YZ-EC-0420") == pytest.approx(1200)  # 10 × 2 min
    assert health.report(NOW + timedelta(minutes=15)).silent == 0
    assert health.report(NOW + timedelta(minutes=21)).silent == 1


def test_the_usual_gap_follows_a_changing_rate() -> None:
    health = CheckpointHealth(alpha=0.2)
    start = NOW - timedelta(hours=2)
    health.observe_batch(steady("YZ-EC-0001", every_s=10, count=50, until=start), NOW)
    assert health.threshold_s("YZ-EC-0001") == 300
    # Night: the site slows to a hit every 3 min, and the estimate follows it up.
    health.observe_batch(steady("YZ-EC-0001", every_s=180, count=30, until=NOW), NOW)
    assert health.threshold_s("YZ-EC-0001") == pytest.approx(1800, rel=0.01)


def test_a_site_back_from_an_outage_is_judged_by_its_usual_rate_at_once() -> None:
    health = CheckpointHealth()
    before = NOW - timedelta(days=1)
    health.observe_batch(steady("YZ-EC-0001", every_s=20, count=30, until=before), before)
    # The camera was dead for a day, is repaired, sends a few hits and dies again.
    health.observe_batch(steady("YZ-EC-0001", every_s=20, count=3, until=NOW), NOW)
    # The day counts as one 5-min gap at most: the threshold is 7 min, not 10 days.
    assert health.threshold_s("YZ-EC-0001") == pytest.approx(426.8)
    assert health.report(NOW + timedelta(minutes=8)).silent == 1


def test_a_site_seen_once_cannot_be_judged_yet() -> None:
    health = CheckpointHealth()
    health.observe_batch([("YZ-EC-0001", NOW, 0)], NOW)
    report = health.report(NOW + timedelta(hours=3))
    assert (len(health), report.tracked, report.silent) == (1, 0, 0)
    assert health.threshold_s("YZ-EC-0001") is None and health.threshold_s("YZ-EC-9999") is None


def test_same_pass_out_of_order_and_future_reads_do_not_distort_the_estimate() -> None:
    health = CheckpointHealth()
    health.observe_batch(steady("YZ-EC-0001", every_s=60, count=5, until=NOW - timedelta(minutes=1)), NOW)
    before = health.threshold_s("YZ-EC-0001")
    lanes = [("YZ-EC-0001", NOW - timedelta(minutes=1, milliseconds=ms), 0) for ms in (-300, 0, 200)]
    late = [("YZ-EC-0001", NOW - timedelta(minutes=30), 0)]
    health.observe_batch(lanes + late, NOW)
    assert health.threshold_s("YZ-EC-0001") == before
    # A camera clock 4 min fast: its hit counts as now, not as the future (which would hide a silence).
    health.observe_batch([("YZ-EC-0001", NOW + timedelta(minutes=4), 0)], NOW)
    assert health.report(NOW + timedelta(minutes=11)).silent == 1


def test_only_the_top_k_most_overdue_are_reported_but_all_are_counted() -> None:
    health = CheckpointHealth(top_k=5)
    for n in range(100):
        # Site n last reported n minutes before NOW, every 10 s: all share the 5 min threshold.
        health.observe_batch(
            steady(f"YZ-EC-{n:04d}", every_s=10, count=3, until=NOW - timedelta(minutes=n)), NOW
        )
    report = health.report(NOW)
    assert report.tracked == 100
    assert report.silent == 94  # quiet for more than 5 min: sites 6 … 99
    assert [s.checkpoint_id for s in report.top] == [f"YZ-EC-{n:04d}" for n in (99, 98, 97, 96, 95)]
    assert CheckpointHealth(top_k=0).report(NOW).top == ()


def test_memory_is_bounded_and_long_dead_sites_are_forgotten() -> None:
    health = CheckpointHealth(max_tracked=3, forget_after=timedelta(days=1))
    for n in range(5):
        health.observe_batch(steady(f"YZ-EC-{n:04d}", every_s=10, count=2, until=NOW), NOW)
    assert len(health) == 3 and health.untracked == 5 * 2 - 3 * 2
    later = NOW + timedelta(hours=23)
    health.observe_batch(steady("YZ-EC-0000", every_s=10, count=2, until=later), later)
    report = health.report(NOW + timedelta(days=1, hours=1))
    assert len(health) == 1 and report.silent == 1 and report.untracked == 4
    with pytest.raises(ValueError):
        CheckpointHealth(alpha=0)


def test_sites_of_partitions_given_to_another_worker_are_dropped() -> None:
    health = CheckpointHealth()
    health.observe_batch(steady("YZ-EC-0001", every_s=10, count=3, until=NOW, partition=0), NOW)
    health.observe_batch(steady("YZ-EC-0002", every_s=10, count=3, until=NOW, partition=3), NOW)
    health.retain_partitions({0, 1})
    assert health.report(NOW + timedelta(hours=1)).silent == 1 and len(health) == 1


def test_a_batch_of_a_thousand_hits_is_one_pass() -> None:
    health = CheckpointHealth()
    batch = [(f"YZ-EC-{n % 3160:04d}", NOW - timedelta(milliseconds=1000 - n), n % 8) for n in range(1000)]
    health.observe_batch(batch, NOW)
    assert len(health) == 1000


def test_consumer_lag_is_end_minus_committed() -> None:
    ends = {("anpr.hits", 0): 120, ("anpr.hits", 1): 7, ("anpr.hits", 2): None, ("anpr.hits", 3): 0}
    committed = {("anpr.hits", 0): 100, ("anpr.hits", 1): None, ("anpr.hits", 3): None}
    assert consumer_lag(ends, committed) == {("anpr.hits", 0): 20, ("anpr.hits", 1): 7, ("anpr.hits", 3): 0}
    assert consumer_lag({("x", 0): 5}, {("x", 0): 9}) == {("x", 0): 0}  # committed ahead of a stale highwater


class FakeConsumer:
    """The parts of faust-streaming 0.15.3's consumer FaustConsumerLag reads."""

    def __init__(self, highwaters: dict[TP, int | None], committed: dict[TP, int]) -> None:
        self.highwaters = highwaters
        self._committed_offset: defaultdict[TP, int | None] = defaultdict(lambda: None, committed)

    def assignment(self) -> set[TP]:
        return set(self.highwaters)

    def highwater(self, tp: TP) -> int | None:
        return self.highwaters[tp]


SETTINGS = Settings(topic_prefix="t1.")


def test_the_worker_exposes_lag_and_the_top_k_silent_sites_on_its_registry() -> None:
    calls, changelog = TP("t1.calls.110", 0), TP("citygate-alert_book-changelog", 0)
    hits0_faust = TP("t1.anpr.hits", 0)  # Faust no longer reads anpr.hits: ignored even if it appeared
    consumer = FakeConsumer({calls: 3, changelog: 99, hits0_faust: 1000}, {calls: 3})
    ledger = OffsetLedger()  # the sensor side's own consumer (streams/worker/sensor/consumer.py)
    ledger.revoked([])
    ledger.assigned([0, 1, 5])
    ledger.learn_committed({0: 45, 1: None, 5: 9})
    ledger.handled(0, 47)
    ledger.seen_end(0, 50)
    ledger.handled(5, 9)
    ledger.seen_end(5, 9)
    metrics = Metrics()
    now = [NOW]
    health = CitygateHealth(
        lambda: consumer,
        SETTINGS,
        metrics.registry,
        hits_lags=ledger.lags,
        hits_partitions=ledger.partitions,
        clock=lambda: now[0],
        top_k=2,
    )
    health.observe_hits(steady("YZ-EC-0001", every_s=10, count=3, until=NOW - timedelta(minutes=9)))
    health.observe_hits(steady("YZ-EC-0002", every_s=10, count=3, until=NOW - timedelta(minutes=8)))
    health.observe_hits(steady("YZ-EC-0003", every_s=10, count=3, until=NOW - timedelta(minutes=7)))
    health.observe_hits(steady("YZ-EC-0004", every_s=10, count=3, until=NOW, partition=5))

    text = generate_latest(metrics.registry).decode()
    assert 'citygate_consumer_lag{partition="0",topic="anpr.hits"} 5.0' in text  # committed, not handled
    assert 'citygate_consumer_lag{partition="0",topic="calls.110"} 0.0' in text
    assert 'citygate_consumer_lag{partition="5",topic="anpr.hits"} 0.0' in text
    assert "changelog" not in text and 'partition="1"' not in text  # not ours / not fetched yet
    assert "citygate_checkpoints_silent 3.0" in text and "citygate_checkpoints_tracked 4.0" in text
    assert 'citygate_checkpoint_silent_seconds{checkpoint="YZ-EC-0001"} 540.0' in text
    assert 'checkpoint="YZ-EC-0002"' in text and 'checkpoint="YZ-EC-0003"' not in text  # top 2 only
    assert metrics.watchlist_entries is not None  # the existing metrics are still there, no name clash

    ledger.committed(ledger.pending())
    assert (
        'citygate_consumer_lag{partition="0",topic="anpr.hits"} 3.0'
        in generate_latest(metrics.registry).decode()
    )

    # Partition 5 goes to another worker in a rebalance: its site is forgotten once the rebalance is over.
    ledger.revoked([0, 1, 5])
    assert "citygate_checkpoints_tracked 4.0" in generate_latest(metrics.registry).decode()
    ledger.assigned([0, 1])
    text = generate_latest(metrics.registry).decode()
    assert "citygate_checkpoints_tracked 3.0" in text and 'partition="5",topic="anpr.hits"' not in text


def test_the_ledger_commits_only_what_was_handled_and_forgets_revoked_partitions() -> None:
    ledger = OffsetLedger()
    assert ledger.partitions() is None and ledger.pending() == {}  # nothing held before the first assignment
    ledger.assigned([2, 3])
    ledger.learn_committed({2: None, 3: 100})
    assert ledger.partitions() == {2, 3} and ledger.holds(2) and not ledger.holds(4)
    ledger.handled(2, 10)
    ledger.seen_end(2, 12)
    ledger.handled(3, 150)  # no fetch answer yet: end unknown, no lag series
    assert ledger.pending() == {2: 10, 3: 150}
    assert ledger.lags() == {("anpr.hits", 2): 12}  # never committed: counts from 0, an upper bound
    ledger.committed({2: 10})
    ledger.handled(2, 12)
    assert ledger.pending() == {2: 12, 3: 150}  # a commit of an older position leaves the newer one pending
    ledger.committed({2: 12, 3: 150})
    assert ledger.pending() == {} and ledger.lags() == {("anpr.hits", 2): 0}
    ledger.seen_end(3, 160)
    assert ledger.lags()[("anpr.hits", 3)] == 10
    ledger.revoked([3])
    assert ledger.partitions() is None  # mid-rebalance
    assert not ledger.holds(3) and ("anpr.hits", 3) not in ledger.lags()
    ledger.committed({3: 170})  # a late commit of a revoked partition changes nothing
    assert not ledger.holds(3)
    ledger.assigned([])
    assert ledger.partitions() == {2}


def test_records_handled_before_the_assignment_callback_are_kept_and_committed() -> None:
    # aiokafka can hand out records of a new assignment before its callback has run (the review's race):
    # they are handled, so the ledger holds the partition from then on, and the broker's older committed
    # offset learnt afterwards does not overwrite the newer commit.
    ledger = OffsetLedger()
    ledger.handled(6, 40)
    assert ledger.holds(6) and ledger.pending() == {6: 40}
    ledger.committed({6: 40})
    ledger.assigned([6])
    ledger.learn_committed({6: 0})
    ledger.seen_end(6, 45)
    assert ledger.lags() == {("anpr.hits", 6): 5} and ledger.partitions() == {6}


def test_no_consumer_yet_means_no_lag_series() -> None:
    metrics = Metrics()
    ledger = OffsetLedger()
    CitygateHealth(
        lambda: None, SETTINGS, metrics.registry, hits_lags=ledger.lags, hits_partitions=ledger.partitions
    )
    text = generate_latest(metrics.registry).decode()
    assert "citygate_consumer_lag{" not in text and "citygate_checkpoints_silent 0.0" in text
    assert FaustConsumerLag(lambda: None, SETTINGS, ["calls.110"]).lags() == {}


# ------------------------------------------------------------------------------------------ /health

HEALTH_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _report(**overrides: object) -> tuple[int, dict[str, object]]:
    given: dict[str, Any] = {
        "ready": True,
        "entries": 7,
        "fresh_as_of": HEALTH_NOW - timedelta(seconds=0.4),
        "hits_partitions": {3, 1},
        "now": HEALTH_NOW,
        "stale_after_s": 10.0,
        **overrides,
    }
    return health_report(**given)


def test_a_complete_replica_that_hears_from_the_cluster_is_healthy() -> None:
    status, body = _report()
    assert status == 200
    assert body == {
        "status": "ok",
        "reasons": [],
        "watchlist_ready": True,
        "watchlist_entries": 7,
        "watchlist_fresh_s": 0.4,
        "hits_partitions": [1, 3],
    }


def test_a_replica_still_loading_is_unavailable_and_says_so() -> None:
    status, body = _report(ready=False, fresh_as_of=None, hits_partitions=None)
    assert status == 503 and body["status"] == "unavailable"
    assert [str(r).split(":")[0] for r in body["reasons"]] == ["watchlist_loading"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("silent_s", [10.5, 45.0])
def test_a_cluster_silent_for_longer_than_the_limit_is_unavailable_with_how_long(silent_s: float) -> None:
    status, body = _report(fresh_as_of=HEALTH_NOW - timedelta(seconds=silent_s))
    assert status == 503
    (reason,) = body["reasons"]  # type: ignore[misc]
    assert reason.startswith("cluster_unreachable:") and f"{silent_s:.0f} s" in reason


def test_a_replica_that_never_heard_from_the_cluster_since_loading_is_unavailable() -> None:
    status, body = _report(fresh_as_of=None)
    assert status == 503 and "for ever" in str(body["reasons"])


def test_silence_up_to_the_limit_is_healthy() -> None:
    assert _report(fresh_as_of=HEALTH_NOW - timedelta(seconds=10))[0] == 200


# ------------------------------------------------------------------------------------------ dark cameras


def dark_cameras(*reports: tuple[str, str, int, bool, datetime]) -> CameraStatuses:
    """(camera, checkpoint, partition, streaming, reported at) heartbeats, as observed at NOW."""
    statuses = CameraStatuses()
    for camera, checkpoint, partition, streaming, at in reports:
        statuses.observe(
            camera,
            checkpoint_id=checkpoint,
            partition=partition,
            streaming=streaming,
            reported_at=at,
            now=NOW,
        )
    return statuses


def test_a_camera_that_says_it_is_not_streaming_makes_its_busy_site_silent_at_once() -> None:
    health = CheckpointHealth()
    health.observe_batch(steady("YZ-EC-0001", every_s=20, count=30, until=NOW - timedelta(seconds=30)), NOW)
    statuses = dark_cameras(("openalpr:s:1", "YZ-EC-0001", 0, False, NOW - timedelta(seconds=10)))
    dark, cameras = statuses.dark({0}, NOW)
    assert cameras == 1 and dark == {"YZ-EC-0001": (NOW - timedelta(seconds=10)).timestamp()}
    report = health.report(NOW, dark)  # 30 s quiet: far below the 5 min floor, silent all the same
    assert report.silent == 1 and report.top[0].checkpoint_id == "YZ-EC-0001"
    assert (report.top[0].silent_s, report.top[0].threshold_s) == (30, 0)


def test_a_hit_after_the_dark_report_is_newer_news() -> None:
    health = CheckpointHealth()
    health.observe_batch(steady("YZ-EC-0001", every_s=20, count=30, until=NOW), NOW)
    dark, cameras = dark_cameras(("openalpr:s:1", "YZ-EC-0001", 0, False, NOW - timedelta(seconds=5))).dark(
        {0}, NOW
    )
    assert cameras == 1  # the camera still counts as dark: only its own heartbeat clears it
    assert health.report(NOW, dark).silent == 0  # but another lane's hit says the site works


def test_a_dark_site_this_worker_never_saw_a_hit_from_is_silent_too() -> None:
    dark, _ = dark_cameras(("openalpr:s:9", "YZ-EC-0009", 3, False, NOW - timedelta(minutes=2))).dark(
        {3}, NOW
    )
    report = CheckpointHealth().report(NOW, dark)
    assert (report.tracked, report.silent) == (1, 1) and report.top[0].silent_s == 120


def test_the_newest_heartbeat_of_a_camera_wins_and_a_streaming_one_clears_it() -> None:
    back = NOW - timedelta(seconds=5)
    statuses = dark_cameras(
        ("openalpr:s:1", "YZ-EC-0001", 0, False, NOW - timedelta(minutes=1)),
        ("openalpr:s:1", "YZ-EC-0001", 0, True, back),
        ("openalpr:s:1", "YZ-EC-0001", 0, False, NOW - timedelta(minutes=2)),  # a retry of an older one
    )
    assert statuses.dark({0}, NOW) == ({}, 0)
    statuses.observe(
        "openalpr:s:1", checkpoint_id="YZ-EC-0001", partition=0, streaming=False, reported_at=NOW, now=NOW
    )
    assert statuses.dark({0}, NOW)[1] == 1
    statuses.forget("openalpr:s:1")  # its registry record deleted
    assert statuses.dark({0}, NOW) == ({}, 0) and len(statuses) == 0


def test_dark_cameras_count_only_on_the_partitions_held_and_absurd_times_are_tamed() -> None:
    statuses = dark_cameras(
        ("a:s:1", "YZ-EC-0001", 0, False, NOW),
        ("a:s:2", "YZ-EC-0002", 1, False, NOW),
        ("a:s:3", "YZ-EC-0002", 1, False, NOW - timedelta(seconds=1)),
        ("a:s:4", "YZ-EC-0004", 1, False, datetime(9999, 12, 31, tzinfo=UTC)),  # counts as now
        ("a:s:5", "YZ-EC-0005", 1, False, datetime(1970, 1, 1, tzinfo=UTC)),  # long gone: dropped
    )
    assert len(statuses) == 4
    dark, cameras = statuses.dark({1}, NOW)
    assert cameras == 3 and set(dark) == {"YZ-EC-0002", "YZ-EC-0004"}
    assert dark["YZ-EC-0002"] == NOW.timestamp() and dark["YZ-EC-0004"] == NOW.timestamp()
    later = NOW + timedelta(days=8)
    assert statuses.dark({0, 1}, later) == ({}, 0) and len(statuses) == 0  # a week without a heartbeat


def test_the_camera_book_is_bounded() -> None:
    statuses = CameraStatuses(max_cameras=2)
    for n in range(4):
        statuses.observe(
            f"a:s:{n}", checkpoint_id="YZ-EC-0001", partition=0, streaming=False, reported_at=NOW, now=NOW
        )
    assert (len(statuses), statuses.untracked) == (2, 2)


def test_the_worker_exposes_its_dark_cameras() -> None:
    ledger = OffsetLedger()
    ledger.assigned([0])
    metrics = Metrics()
    health = CitygateHealth(
        lambda: None,
        SETTINGS,
        metrics.registry,
        hits_lags=ledger.lags,
        hits_partitions=ledger.partitions,
        clock=lambda: NOW,
    )
    health.cameras.observe(
        "a:s:1", checkpoint_id="YZ-EC-0001", partition=0, streaming=False, reported_at=NOW, now=NOW
    )
    health.cameras.observe(
        "a:s:2", checkpoint_id="YZ-EC-0002", partition=1, streaming=False, reported_at=NOW, now=NOW
    )
    text = generate_latest(metrics.registry).decode()
    assert "citygate_cameras_dark 1.0" in text and "citygate_checkpoints_silent 1.0" in text
    assert 'citygate_checkpoint_silent_seconds{checkpoint="YZ-EC-0001"} 0.0' in text
    ledger.revoked([0])  # mid-rebalance: still the partitions last held, not nothing
    assert "citygate_cameras_dark 1.0" in generate_latest(metrics.registry).decode()
