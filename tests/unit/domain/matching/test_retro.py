"""Retro-match: an entry's past sightings, inside its validity window, from the hits that reached Kafka
before its listing (+ the grace); live matching answers for the rest, so every hit is matched exactly once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.codecs import parse_entry, parse_hit
from streams.domain.matching.alerts import MatchPolicy, Ref, match_hit
from streams.domain.matching.hits import Hit, HitLimits
from streams.domain.matching.retro import RetroMatcher
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex
from tests.unit.fixtures import NOW, entry_message, hit_message

LIMITS = HitLimits(max_age=timedelta(days=2))
LISTED = NOW - timedelta(minutes=1)
GRACE = MatchPolicy().listing_grace
HORIZON = NOW - timedelta(hours=6)


def entry(listed_at: datetime | None = LISTED, **changes: object) -> WatchlistEntry:
    """Valid from a day ago by default (entry_message), listed a minute ago."""
    message = entry_message(**changes)
    return parse_entry(str(message["entry_id"]), message, listed_at=listed_at)


def past_hit(
    minutes_ago: float,
    *,
    checkpoint: str = "YZ-EC-0001",
    plate: str = "苏K12345",
    hit_id: str = "",
    arrived_after_s: float = 0.5,
) -> Hit:
    at = NOW - timedelta(minutes=minutes_ago)
    message = hit_message(
        hit_id=hit_id or f"h-{checkpoint}-{minutes_ago}",
        checkpoint_id=checkpoint,
        plate_text=plate,
        event_time=at.isoformat(),
    )
    return parse_hit(message, now=NOW, limits=LIMITS, arrived_at=at + timedelta(seconds=arrived_after_s))


def retro(entries: list[WatchlistEntry], hits: list[Hit]) -> list:
    matcher = RetroMatcher(entries, since=HORIZON, now=NOW)
    for n, hit in enumerate(hits):
        matcher.feed(hit, Ref("anpr.hits", hit.hit_id, 0, n))
    return matcher.finish()


def test_past_sightings_before_the_listing_are_found_once_per_site_visit() -> None:
    hits = [
        past_hit(300, checkpoint="YZ-EC-0001"),
        past_hit(299.5, checkpoint="YZ-EC-0001"),
        past_hit(120, checkpoint="YZ-EC-0007"),
        past_hit(30, checkpoint="YZ-EC-0001"),
        past_hit(10, plate="苏A00001"),
    ]
    alerts = retro([entry()], hits)
    assert [(a.checkpoint_id, a.sightings.count) for a in alerts] == [  # type: ignore[union-attr]
        ("YZ-EC-0001", 2),
        ("YZ-EC-0007", 1),
        ("YZ-EC-0001", 1),
    ]
    assert all(a.kind == "retro_match" and a.state == "new" for a in alerts)
    assert "Retro-match" in alerts[0].summary_en and alerts[0].summary_zh.startswith("回溯比对")
    assert len({a.alert_id for a in alerts}) == 3


def test_hits_older_than_the_horizon_are_ignored_and_ids_are_stable() -> None:
    hits = [past_hit(400), past_hit(100, checkpoint="YZ-EC-0002")]
    runs = [[a.alert_id for a in retro([entry()], hits)] for _ in range(2)]
    assert len(runs[0]) == 1 and runs[0] == runs[1]


def test_ocr_variants_are_retro_matched_and_expired_entries_are_not_looked_for() -> None:
    [alert] = retro([entry(plate="苏KB0693")], [past_hit(60, plate="苏K80693")])
    assert alert.match and alert.match.match_type == "ocr_equivalent"
    expired = entry(
        valid_from=(NOW - timedelta(days=3)).isoformat(), valid_until=(NOW - timedelta(days=1)).isoformat()
    )
    assert not RetroMatcher([expired], since=HORIZON, now=NOW)


def test_hits_that_arrive_after_the_listing_and_grace_are_left_to_live_matching() -> None:
    # Seen 30 min ago; the entry was listed 60 s ago.
    before = past_hit(30, checkpoint="YZ-EC-0030", arrived_after_s=30 * 60 - 70)  # reached Kafka 70 s ago
    in_grace = past_hit(30, checkpoint="YZ-EC-0031", arrived_after_s=30 * 60 - 58)  # 2 s after the listing
    after = past_hit(30, checkpoint="YZ-EC-0032", arrived_after_s=30 * 60 - 54)  # 6 s after: live's
    alerts = retro([entry()], [before, in_grace, after])
    assert not live(entry(), before) and not live(entry(), in_grace) and live(entry(), after)
    assert sorted(a.checkpoint_id for a in alerts) == ["YZ-EC-0030", "YZ-EC-0031"]


def test_the_validity_window_holds_for_the_retro_match_too() -> None:
    hits = [past_hit(m, checkpoint=f"YZ-EC-{m:04d}") for m in (300, 120, 30)]
    assert retro([entry(valid_from=(NOW + timedelta(hours=1)).isoformat(), valid_until=None)], hits) == []
    assert retro([entry(valid_from="9999-01-01T00:00:00+00:00", valid_until=None)], hits) == []
    window = entry(
        valid_from=(NOW - timedelta(hours=3)).isoformat(), valid_until=(NOW - timedelta(hours=1)).isoformat()
    )
    assert [a.checkpoint_id for a in retro([window], hits)] == []  # expired by now: not looked for
    window = entry(valid_from=(NOW - timedelta(hours=3)).isoformat(), valid_until=None)
    assert [a.checkpoint_id for a in retro([window], hits)] == ["YZ-EC-0120", "YZ-EC-0030"]


def live(found: WatchlistEntry, hit: Hit) -> bool:
    index = WatchlistIndex()
    index.upsert(found)
    return bool(match_hit(hit, index, now=NOW, hit_ref=Ref("anpr.hits", hit.hit_id)))


@settings(max_examples=300, deadline=None)
@given(
    event_min=st.floats(min_value=0, max_value=300),
    delay_s=st.floats(min_value=0, max_value=4 * 3600),
    listed_min=st.floats(min_value=0, max_value=300),
    from_min=st.floats(min_value=0, max_value=400),
)
def test_every_hit_in_the_window_is_matched_by_exactly_one_of_live_and_retro(
    event_min: float, delay_s: float, listed_min: float, from_min: float
) -> None:
    """Whatever the event time, the delay before the hit reached Kafka and the listing time: a hit of a
    listed plate inside the validity window and the horizon is live matching's or the retro-match's,
    never both, never neither (as the scan sees it: only hits that arrived before it ran)."""
    listed_at = NOW - timedelta(minutes=listed_min)
    found = entry(listed_at=listed_at, valid_from=(NOW - timedelta(minutes=from_min)).isoformat())
    at = NOW - timedelta(minutes=event_min)
    hit = parse_hit(
        hit_message(hit_id="h", event_time=at.isoformat()),
        now=NOW,
        limits=LIMITS,
        arrived_at=min(at + timedelta(seconds=delay_s), NOW),
    )
    in_window = at >= found.valid_from
    by_retro = bool(retro([found], [hit]))
    by_live = live(found, hit)
    assert (by_retro + by_live) == (1 if in_window else 0), (by_retro, by_live)


def test_an_update_keeps_the_first_listing_time() -> None:
    index = WatchlistIndex()
    index.upsert(entry(listed_at=LISTED))
    index.upsert(replace(entry(reason="更新"), listed_at=NOW))
    assert index.get("WL-1").listed_at == LISTED  # type: ignore[union-attr]
    index.remove("WL-1")
    index.upsert(entry(listed_at=NOW))  # listed again after a delete: a new listing
    assert index.get("WL-1").listed_at == NOW  # type: ignore[union-attr]
