from datetime import timedelta

from streams.codecs import parse_entry, parse_hit
from streams.domain.matching.alerts import Ref, alert_id_for, match_hit
from streams.domain.matching.watchlist import WatchlistIndex
from tests.unit.fixtures import NOW, entry_message, hit_message

HIT_REF = Ref(topic="anpr.hits", id="YZ-EC-0001-1764417600000-1", partition=3, offset=42)


def index_with(*messages: dict[str, object]) -> WatchlistIndex:
    index = WatchlistIndex()
    for message in messages:
        index.upsert(parse_entry(str(message["entry_id"]), message))
    return index


def test_listed_plate_raises_one_alert_per_entry() -> None:
    index = index_with(
        entry_message(), entry_message(entry_id="WL-2", category="wanted", priority=2, covert=True)
    )
    alerts = match_hit(parse_hit(hit_message(), now=NOW), index, now=NOW, hit_ref=HIT_REF)
    assert [a.match.entry_id for a in alerts if a.match] == ["WL-1", "WL-2"]
    first, second = alerts
    assert first.kind == "watchlist_match" and first.priority == 1 and not first.restricted
    assert second.restricted  # covert entry
    assert first.plate == "苏K12345" and first.plate_raw == "苏K·12345"
    assert first.refs[0] == HIT_REF and first.refs[1].id == "WL-1"
    assert "苏K12345" in first.summary_zh and "苏K12345" in first.summary_en


def test_unlisted_plate_raises_nothing() -> None:
    index = index_with(entry_message(plate="苏A00001"))
    assert match_hit(parse_hit(hit_message(), now=NOW), index, now=NOW, hit_ref=HIT_REF) == []


def test_alert_id_is_deterministic_and_depends_on_cause() -> None:
    index = index_with(entry_message())
    hit = parse_hit(hit_message(), now=NOW)
    once = match_hit(hit, index, now=NOW, hit_ref=HIT_REF)[0]
    replay = match_hit(hit, index, now=NOW + timedelta(minutes=5), hit_ref=HIT_REF)[0]
    assert once.alert_id == replay.alert_id
    other_hit = parse_hit(hit_message(hit_id="another-read"), now=NOW)
    assert match_hit(other_hit, index, now=NOW, hit_ref=HIT_REF)[0].alert_id != once.alert_id
    assert alert_id_for("watchlist_match", "WL-1", "h") != alert_id_for("watchlist_match", "WL-1h", "")


def test_message_carries_times_with_offset() -> None:
    index = index_with(entry_message(instructions="等待增援"))
    message = match_hit(parse_hit(hit_message(), now=NOW), index, now=NOW, hit_ref=HIT_REF)[0].to_message()
    assert str(message["created_at"]).endswith("+00:00")
    assert message["match"]["instructions"] == "等待增援"  # type: ignore[index]
    assert message["refs"][0] == {"topic": "anpr.hits", "id": HIT_REF.id, "partition": 3, "offset": 42}  # type: ignore[index]
