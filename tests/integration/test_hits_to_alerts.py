"""Hits → watchlist → alerts end to end: a worker process, a real broker, kafka-python as the gateway."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from streams import topics
from tests.integration.conftest import Cluster
from tests.unit.fixtures import DROP, entry_message, hit_message

pytestmark = pytest.mark.kafka


def now_iso(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def live_entry(entry_id: str, plate: str, **changes: object) -> dict[str, object]:
    return entry_message(
        **{
            "entry_id": entry_id,
            "plate": plate,
            "valid_from": now_iso(days=-1),
            "valid_until": now_iso(days=1),
            **changes,
        }
    )


def live_hit(hit_id: str, plate: str, **changes: object) -> dict[str, object]:
    return hit_message(
        **{"hit_id": hit_id, "plate_text": plate, "event_time": now_iso(seconds=-1), **changes}
    )


# Every kind of bad input a camera gateway can send, with the reason code citygate must give.
BAD_HITS: list[tuple[str, bytes | None, str]] = [
    ("malformed json", b'{"hit_id": "x", ', "malformed_json"),
    ("not utf-8", b"\xff\xfe\x00garbage", "malformed_json"),
    ("json array", b"[1, 2, 3]", "not_an_object"),
    ("null value", None, "malformed_json"),
    ("missing field", orjson.dumps(live_hit("bad-missing", "苏K12345", checkpoint_id=DROP)), "missing_field"),
    ("wrong type", orjson.dumps(live_hit("bad-type", "苏K12345", lane="two")), "wrong_type"),
    (
        "absurd confidence",
        orjson.dumps(live_hit("bad-conf", "苏K12345", plate_confidence=42.0)),
        "invalid_value",
    ),
    (
        "absurd time",
        orjson.dumps(live_hit("bad-time", "苏K12345", event_time="2999-01-01T00:00:00Z")),
        "invalid_value",
    ),
    (
        "naive time",
        orjson.dumps(live_hit("bad-naive", "苏K12345", event_time="2026-11-29T12:00:00")),
        "invalid_value",
    ),
    ("plate format", orjson.dumps(live_hit("bad-plate", "ABC-123")), "plate_format"),
    ("unknown field", orjson.dumps(live_hit("bad-field", "苏K12345", speed_kmh=300)), "unknown_field"),
    ("oversized", orjson.dumps(live_hit("bad-big", "苏K12345", vehicle_colour="x" * 100_000)), "oversized"),
]


def test_hits_become_alerts_and_bad_input_becomes_dead_letters(cluster: Cluster) -> None:
    cluster.send(topics.WATCHLIST, live_entry("WL-STOLEN", "苏K12345"), key="WL-STOLEN")
    cluster.send(
        topics.WATCHLIST, live_entry("WL-COVERT", "苏A9B876", category="wanted", covert=True), key="WL-COVERT"
    )
    cluster.send(
        topics.WATCHLIST,
        live_entry("WL-EXPIRED", "苏K55555", valid_from=now_iso(days=-3), valid_until=now_iso(days=-2)),
        key="WL-EXPIRED",
    )
    cluster.send(topics.WATCHLIST, b"{broken entry", key="WL-BROKEN")
    cluster.flush()
    worker = cluster.start_worker()
    worker.wait_healthy()
    cluster.wait_past_listing()  # these are live matching's

    # Bad input first, interleaved with good: the worker must survive each and lose nothing valid after it.
    for index, (_, value, _) in enumerate(BAD_HITS):
        cluster.send(topics.HITS, value, key="YZ-EC-0001")  # their checkpoint: each is refused for its value
        cluster.send(
            topics.HITS,
            live_hit(f"good-miss-{index}", "苏K00001", checkpoint_id="YZ-EC-0100"),
            key="YZ-EC-0100",
        )
    cluster.send(topics.HITS, live_hit("good-1", "苏K·12345"), key="YZ-EC-0001")
    full_width = live_hit("good-2", "苏ｋ１２３４５", lane=3, checkpoint_id="YZ-EC-0002")
    cluster.send(topics.HITS, full_width, key="YZ-EC-0002")
    cluster.send(
        topics.HITS, live_hit("good-covert", "苏A9B876", checkpoint_id="YZ-EC-0003"), key="YZ-EC-0003"
    )
    cluster.send(
        topics.HITS, live_hit("good-expired", "苏K55555", checkpoint_id="YZ-EC-0004"), key="YZ-EC-0004"
    )
    # A good hit under another checkpoint's key is refused (a hit's key is its checkpoint).
    cluster.send(topics.HITS, live_hit("wrong-key", "苏K12345"), key="YZ-EC-0099")
    cluster.flush()

    alerts = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 2, settle=3)
    assert sorted(str(a["refs"][0]["id"]) for a in alerts) == ["good-1", "good-2"]  # type: ignore[index]
    assert {a["plate"] for a in alerts} == {"苏K12345"}
    assert all(a["match"]["entry_id"] == "WL-STOLEN" for a in alerts)  # type: ignore[index]
    assert all("__faust" not in a for a in alerts)

    restricted = cluster.read(topics.ALERTS_RESTRICTED, until=lambda m: len(m) >= 1, settle=1)
    assert [a["plate"] for a in restricted] == ["苏A9B876"]

    deadletters = cluster.read(topics.DEADLETTER, until=lambda m: len(m) >= len(BAD_HITS) + 2, settle=3)
    by_source: dict[str, list[str]] = {}
    for letter in deadletters:
        by_source.setdefault(str(letter["source"]["topic"]), []).append(str(letter["reason"]["code"]))  # type: ignore[index]
    assert sorted(by_source[topics.HITS]) == sorted([*(code for _, _, code in BAD_HITS), "key_mismatch"])
    assert by_source[topics.WATCHLIST] == ["malformed_json"]
    oversized = next(d for d in deadletters if d["reason"]["code"] == "oversized")  # type: ignore[index]
    assert oversized["value_truncated"] is True and int(oversized["value_size"]) > 100_000  # type: ignore[arg-type]

    metrics = worker.metrics()
    assert 'citygate_deadletters_total{reason="plate_format",source="anpr.hits"} 1.0' in metrics
    assert 'citygate_watchlist_matches_total{category="stolen",match_type="exact"} 2.0' in metrics
    assert "citygate_hit_to_alert_broker_seconds_count 3.0" in metrics  # two alerts and one restricted
    assert "faust_messages_received_total" in metrics  # Faust's own sensors, on the same registry
    worker.assert_alive()


def test_entry_deleted_mid_stream_stops_matching(cluster: Cluster) -> None:
    cluster.send(topics.WATCHLIST, live_entry("WL-1", "苏K12345"), key="WL-1")
    cluster.flush()
    cluster.start_worker()
    cluster.send(topics.HITS, live_hit("before-delete", "苏K12345"), key="YZ-EC-0001")
    cluster.flush()
    cluster.read(topics.ALERTS, until=lambda m: len(m) >= 1)

    cluster.send(topics.WATCHLIST, None, key="WL-1")  # tombstone
    cluster.send(topics.WATCHLIST, live_entry("WL-2", "苏K22222"), key="WL-2")
    cluster.flush()
    time.sleep(2)  # the contract: a change takes effect on every worker within a second
    # Same key, same partition: the probe is checked after the deleted plate's hit.
    cluster.send(topics.HITS, live_hit("after-delete", "苏K12345"), key="YZ-EC-0001")
    cluster.send(topics.HITS, live_hit("probe", "苏K22222"), key="YZ-EC-0001")
    cluster.flush()
    alerts = cluster.read(topics.ALERTS, until=lambda m: any(a["plate"] == "苏K22222" for a in m), settle=1)
    assert sorted(a["refs"][0]["id"] for a in alerts) == ["before-delete", "probe"]  # type: ignore[index]
