from datetime import timedelta

from streams.domain.matching.alerts import Ref
from streams.domain.matching.hits import HitLimits, parse_hit
from streams.domain.matching.retro import RetroMatcher
from streams.domain.matching.watchlist import parse_entry
from tests.unit.fixtures import NOW, entry_message, hit_message

LIMITS = HitLimits(max_age=timedelta(days=2))


def entry(**changes: object):
    message = entry_message(**{"valid_from": NOW.isoformat(), **changes})  # listed just now by default
    return parse_entry(str(message["entry_id"]), message)


def past_hit(
    minutes_ago: float, *, checkpoint: str = "YZ-EC-0001", plate: str = "苏K12345", hit_id: str = ""
):
    at = NOW - timedelta(minutes=minutes_ago)
    message = hit_message(
        hit_id=hit_id or f"h-{checkpoint}-{minutes_ago}",
        checkpoint_id=checkpoint,
        plate_text=plate,
        event_time=at.isoformat(),
    )
    return parse_hit(message, now=NOW, limits=LIMITS)


def test_past_sightings_before_the_listing_are_found_once_per_site_visit() -> None:
    matcher = RetroMatcher([entry()], since=NOW - timedelta(hours=6), now=NOW)
    for minutes, checkpoint in [
        (300, "YZ-EC-0001"),
        (299.5, "YZ-EC-0001"),
        (120, "YZ-EC-0007"),
        (30, "YZ-EC-0001"),
    ]:
        hit = past_hit(minutes, checkpoint=checkpoint)
        matcher.feed(hit, Ref("anpr.hits", hit.hit_id, 0, 1))
    matcher.feed(past_hit(10, plate="苏A00001"), Ref("anpr.hits", "other", 0, 2))
    alerts = matcher.finish()
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
    runs = []
    for _ in range(2):
        matcher = RetroMatcher([entry()], since=NOW - timedelta(hours=6), now=NOW)
        for hit in hits:
            matcher.feed(hit, Ref("anpr.hits", hit.hit_id))
        runs.append([a.alert_id for a in matcher.finish()])
    assert len(runs[0]) == 1 and runs[0] == runs[1]


def test_ocr_variants_are_retro_matched_and_expired_entries_are_not_looked_for() -> None:
    matcher = RetroMatcher([entry(plate="苏KB0693")], since=NOW - timedelta(hours=6), now=NOW)
    hit = past_hit(60, plate="苏K80693")
    matcher.feed(hit, Ref("anpr.hits", hit.hit_id))
    [alert] = matcher.finish()
    assert alert.match and alert.match.match_type == "ocr_equivalent"
    expired = entry(
        valid_from=(NOW - timedelta(days=3)).isoformat(), valid_until=(NOW - timedelta(days=1)).isoformat()
    )
    assert not RetroMatcher([expired], since=NOW - timedelta(hours=6), now=NOW)


def test_sightings_after_the_listing_are_left_to_live_matching() -> None:
    listed = entry(valid_from=(NOW - timedelta(hours=2)).isoformat())
    matcher = RetroMatcher([listed], since=NOW - timedelta(hours=6), now=NOW)
    for minutes in (180, 60):  # before and after the listing
        hit = past_hit(minutes, checkpoint=f"YZ-EC-{minutes:04d}")
        matcher.feed(hit, Ref("anpr.hits", hit.hit_id))
    assert [a.checkpoint_id for a in matcher.finish()] == ["YZ-EC-0180"]
