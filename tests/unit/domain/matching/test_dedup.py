from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from streams.codecs import parse_entry, parse_hit
from streams.domain.matching.alerts import Alert, Ref, match_hit
from streams.domain.matching.dedup import AlertGrouper
from streams.domain.matching.watchlist import WatchlistIndex
from tests.unit.fixtures import NOW, entry_message, hit_message

INDEX = WatchlistIndex()
INDEX.upsert(parse_entry("WL-1", entry_message()))


def read(
    seconds: float, *, lane: int = 1, checkpoint: str = "YZ-EC-0001", hit_id: str | None = None
) -> Alert:
    at = NOW + timedelta(seconds=seconds)
    hit = parse_hit(
        hit_message(
            hit_id=hit_id or f"h{seconds}-{lane}",
            event_time=at.isoformat(),
            lane=lane,
            checkpoint_id=checkpoint,
        ),
        now=at,
    )
    return match_hit(hit, INDEX, now=at, hit_ref=Ref("anpr.hits", hit.hit_id))[0]


def test_repeated_reads_at_one_site_become_one_alert_with_a_count() -> None:
    grouper = AlertGrouper(window=timedelta(seconds=60), update_every=timedelta(seconds=10))
    [first] = grouper.observe(read(0), now=NOW)
    assert first.state == "new" and first.sightings and first.sightings.count == 1
    # two more lanes and frames within a few seconds: folded in, nothing emitted yet
    assert grouper.observe(read(1, lane=2), now=NOW + timedelta(seconds=1)) == []
    assert grouper.observe(read(2, lane=1), now=NOW + timedelta(seconds=2)) == []
    assert grouper.flush(now=NOW + timedelta(seconds=5)) == []
    [update] = grouper.flush(now=NOW + timedelta(seconds=11))
    assert update.alert_id == first.alert_id and update.state == "updated"
    assert update.sightings is not None
    assert (update.sightings.count, update.sightings.lanes) == (3, (1, 2))
    assert update.sightings.last_seen == NOW + timedelta(seconds=2)
    assert update.refs[-1].id == "h2-1"  # points at the newest read
    assert grouper.flush(now=NOW + timedelta(seconds=30)) == []  # nothing new, nothing sent


def test_a_read_after_the_window_opens_a_new_alert() -> None:
    grouper = AlertGrouper(window=timedelta(seconds=60))
    [first] = grouper.observe(read(0), now=NOW)
    [later] = grouper.observe(read(61), now=NOW + timedelta(seconds=61))
    assert later.state == "new" and later.alert_id != first.alert_id


def test_other_sites_are_other_alerts() -> None:
    grouper = AlertGrouper()
    [a] = grouper.observe(read(0), now=NOW)
    [b] = grouper.observe(read(1, checkpoint="YZ-EC-0002"), now=NOW)
    assert a.alert_id != b.alert_id


def test_idle_groups_are_forgotten_and_memory_is_bounded() -> None:
    grouper = AlertGrouper(window=timedelta(seconds=60), max_groups=3)
    for n in range(5):
        assert len(grouper.observe(read(n, checkpoint=f"YZ-EC-{n:04d}"), now=NOW)) == 1
    assert len(grouper) == 3
    grouper.flush(now=NOW + timedelta(seconds=120))
    assert len(grouper) == 0


@given(st.lists(st.tuples(st.floats(0, 300), st.integers(1, 4)), min_size=1, max_size=40))
def test_every_read_is_counted_once(reads: list[tuple[float, int]]) -> None:
    """Whatever the timing, the newest version of each alert adds up to exactly the reads observed."""
    grouper = AlertGrouper(window=timedelta(seconds=60), update_every=timedelta(seconds=10))
    latest: dict[str, Alert] = {}
    clock = NOW
    for n, (offset, lane) in enumerate(sorted(reads)):
        clock = NOW + timedelta(seconds=offset)
        emitted = grouper.observe(read(offset, lane=lane, hit_id=f"h{n}"), now=clock)
        emitted += grouper.flush(now=clock)
        for alert in emitted:
            latest[alert.alert_id] = alert
    for alert in grouper.flush(now=clock + timedelta(hours=1)):
        latest[alert.alert_id] = alert
    assert sum(a.sightings.count for a in latest.values() if a.sightings) == len(reads)


def test_reviews_carry_into_updates_and_a_rejection_silences_them() -> None:
    grouper = AlertGrouper(window=timedelta(seconds=60), update_every=timedelta(seconds=1))
    [first] = grouper.observe(read(0), now=NOW)
    review = {"decision": "accepted", "reason_code": "vehicle_stopped", "operator_id": "op-1"}
    assert grouper.review(first.alert_id, review) and not grouper.review("al-unknown", review)
    [update] = grouper.observe(read(2), now=NOW + timedelta(seconds=2))
    assert update.state == "accepted" and update.review == review and update.sightings.count == 2  # type: ignore[union-attr]
    grouper.review(first.alert_id, {"decision": "rejected", "reason_code": "misread"})
    assert grouper.observe(read(4), now=NOW + timedelta(seconds=4)) == []
    assert grouper.flush(now=NOW + timedelta(seconds=30)) == []
    # the rejected group still absorbs its reads: a read 61 s after the *last* one opens a new alert
    [fresh] = grouper.observe(read(65), now=NOW + timedelta(seconds=65))
    assert fresh.state == "new" and fresh.alert_id != first.alert_id


def test_an_alert_is_what_its_message_says() -> None:
    grouper = AlertGrouper()
    [first] = grouper.observe(read(0), now=NOW)
    assert Alert.from_message(first.to_message()) == first
    covert = Alert.from_message(first.to_message(), restricted=True)
    assert covert.restricted and covert.to_message() == first.to_message()


def test_a_taken_over_alert_is_updated_not_opened_again() -> None:
    """The worker that had the site died after alerting; its successor read the alert back (adopt): the
    vehicle still at the site updates that alert."""
    before = AlertGrouper(update_every=timedelta(seconds=10))
    [opened] = before.observe(read(0), now=NOW)
    successor = AlertGrouper(update_every=timedelta(seconds=10))
    assert successor.adopt(Alert.from_message(opened.to_message()), now=NOW + timedelta(seconds=5))
    assert successor.adopt(Alert.from_message(opened.to_message()), now=NOW + timedelta(seconds=6)) is False
    # 20 s after the alert, the car is read again in another lane: an update of the same alert, at once
    # (its last emission is more than update_every ago).
    [update] = successor.observe(read(20, lane=2), now=NOW + timedelta(seconds=20))
    assert update.alert_id == opened.alert_id and update.state == "updated"
    assert update.sightings is not None and update.sightings.count == 2 and update.sightings.lanes == (1, 2)


def test_a_rejected_or_stale_alert_is_not_taken_over() -> None:
    grouper = AlertGrouper()
    [opened] = grouper.observe(read(0), now=NOW)
    rejected = {**opened.to_message(), "state": "rejected"}
    fresh = AlertGrouper()
    assert not fresh.adopt(Alert.from_message(rejected), now=NOW)
    # adopted, then idle past the window: forgotten, and a read much later opens a new alert
    assert fresh.adopt(Alert.from_message(opened.to_message()), now=NOW)
    fresh.flush(now=NOW + timedelta(seconds=120))
    [later] = fresh.observe(read(300), now=NOW + timedelta(seconds=300))
    assert later.alert_id != opened.alert_id and later.state == "new"
