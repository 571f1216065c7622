"""The operator console's state and frame (no Kafka): fed the schemas' valid examples, read as text."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from streams import topics
from streams.tools.console import ConsoleState, parse_duration

EXAMPLES = Path(__file__).parents[4] / "schemas" / "examples"
CST = timezone(timedelta(hours=8))
# The drill's examples: lockdown raised 20:01:30, incident started 20:00 (+08:00).
NOW = datetime(2026, 8, 2, 20, 30, tzinfo=CST)


def example(topic: str, name: str, **changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((EXAMPLES / topic / "valid" / f"{name}.json").read_text())
    message.update(changes)
    return message


def all_examples(topic: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((EXAMPLES / topic / "valid").glob("*.json"))]


def new_state(**kwargs: Any) -> ConsoleState:
    return ConsoleState(tz=CST, clock=lambda: NOW, source="broker:9092", **kwargs)


def text_of(state: ConsoleState, width: int = 160) -> str:
    console = Console(record=True, width=width, file=io.StringIO())
    console.print(state.render())
    return console.export_text()


def alert(alert_id: str, priority: int, created_at: str, **changes: Any) -> dict[str, Any]:
    return example(
        "alerts",
        "maximal",
        alert_id=f"al-{alert_id:0>24}",
        priority=priority,
        created_at=created_at,
        **{"event_time": created_at, **changes},
    )


def rows(text: str, pattern: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(pattern, line)]


# ---------------------------------------------------------------------------------------------- alerts


def test_each_alert_shows_the_id_prefix_the_alert_commands_take() -> None:
    from streams.tools.targets import resolve

    state = new_state()
    for n, suffix in enumerate(("a1b2c3d4" + "0" * 16, "a1b2c3d4e" + "0" * 15, "ffff0000" + "0" * 16)):
        state.feed(topics.ALERTS, alert(suffix, 2, f"2026-08-02T20:2{n}:00+08:00"))
    text = text_of(state, width=200)
    shown = re.findall(r"\s(al-[0-9a-f]{8,24})\s", text)
    assert len(shown) == 3  # one per alert, each a prefix of its id that the commands resolve to it
    for prefix in shown:
        assert resolve(prefix, [set(state.alerts)], "alert").startswith(prefix)


def test_every_valid_alert_example_is_shown_once_per_alert_id() -> None:
    state = new_state()
    examples = all_examples("alerts")
    for message in examples:
        state.feed(topics.ALERTS, message)
    text = text_of(state)
    ids = {m["alert_id"] for m in examples}
    assert len(state.alerts) == len(ids) and not state.malformed
    assert f"({len(ids)} of {len(ids)})" in text
    # The same alert id in several examples: the latest version fed is the one shown.
    assert state.alerts["al-9684a247e3770f8ab6e9279d"].kind == "retro_match"
    assert "苏KA2B45" in text and "YZ-WC-0003" in text and "urban" in text and "updated" in text
    assert "回溯比对：布控预警：苏KD12345" in text  # the zh summary, cut to the column
    assert "0 malformed" not in text and "none malformed" in text


def test_alerts_are_ordered_by_priority_then_newest_first() -> None:
    state = new_state()
    state.feed(topics.ALERTS, alert("1", 2, "2026-08-02T20:10:00+08:00", plate="苏A00001"))
    state.feed(topics.ALERTS, alert("2", 1, "2026-08-02T20:00:00+08:00", plate="苏A00002"))
    state.feed(topics.ALERTS, alert("3", 3, "2026-08-02T20:29:00+08:00", plate="苏A00003"))
    state.feed(topics.ALERTS, alert("4", 1, "2026-08-02T20:20:00+08:00", plate="苏A00004"))
    state.feed(topics.ALERTS, alert("5", 2, "2026-08-02T20:05:00+08:00", plate="苏A00005"))
    assert [a.plate for a in state.top_alerts()] == [
        "苏A00004",
        "苏A00002",
        "苏A00001",
        "苏A00005",
        "苏A00003",
    ]
    text = text_of(state)
    positions = [text.index(f"苏A0000{n}") for n in (4, 2, 1, 5, 3)]
    assert positions == sorted(positions)
    assert "20:20:00" in text  # same day as now: the time only


def test_at_most_max_alerts_rows_are_shown() -> None:
    state = new_state(max_alerts=2)
    for n in range(5):
        state.feed(
            topics.ALERTS, alert(str(n), 1 + n % 3, f"2026-08-02T20:0{n}:00+08:00", plate=f"苏B0000{n}")
        )
    text = text_of(state)
    assert "(2 of 5)" in text
    assert len(rows(text, r"苏B0000\d")) == 2
    assert "苏B00003" in text and "苏B00000" in text  # the two P1s


def test_a_new_version_of_an_alert_replaces_the_old_one() -> None:
    state = new_state()
    state.feed(topics.ALERTS, alert("7", 1, "2026-08-02T20:00:00+08:00", state="new"))
    state.feed(topics.ALERTS, alert("7", 1, "2026-08-02T20:01:00+08:00", state="updated"))
    review = example("alerts", "rejected-utc")["review"]
    state.feed(topics.ALERTS, alert("7", 1, "2026-08-02T20:02:00+08:00", state="rejected", review=review))
    text = text_of(state)
    assert len(state.alerts) == 1 and "(1 of 1)" in text
    assert rows(text, "rejected") and not rows(text, r"\bnew\b|updated")


def test_ring_breach_lookout_and_intercept_alerts_are_highlighted() -> None:
    state = new_state()
    for n, kind in enumerate(["ring_breach", "lookout_sighting", "intercept_ahead", "watchlist_match"]):
        state.feed(topics.ALERTS, alert(str(n), 1, "2026-08-02T20:00:00+08:00", kind=kind))
    text = text_of(state)
    assert "! ring_breach" in text and "! lookout_sighting" in text and "! intercept_ahead" in text
    assert "! watchlist_match" not in text and " watchlist_match" in text
    console = Console(record=True, width=160, file=io.StringIO(), color_system="truecolor")
    console.print(state.render())
    styled = console.export_text(styles=True)
    assert re.search(r"\x1b\[[0-9;]*41m! ring_breach", styled)  # white on red


def test_message_text_is_shown_literally_never_as_markup() -> None:
    state = new_state()
    summary = {"zh": "[/] [bold red]注入[/bold red] [link=x]", "en": "x"}
    state.feed(topics.ALERTS, alert("1", 1, "2026-08-02T20:00:00+08:00", summary=summary))
    incident = example("incidents", "lotus-pond-one-captured", address="[/]荷花池[red]")
    state.feed(topics.INCIDENTS, incident)
    text = text_of(state, width=240)
    assert "[/] [bold red]注入[/bold red] [link=x]" in text and "[/]荷花池[red]" in text


# ---------------------------------------------------------------------------------------------- incidents


def test_open_incidents_show_the_latest_state_of_each() -> None:
    state = new_state()
    for name in (
        "lotus-pond-opened-lockdown-raised",
        "lotus-pond-second-call-merged",
        "lotus-pond-one-captured",
        "baoji-peninsula-suspicious-activity-no-lockdown",
    ):
        state.feed(topics.INCIDENTS, example("incidents", name))
    reports = [{"report_id": f"r-{n}", "score": 0.9, "reasons": ["same_plate"]} for n in range(3)]
    state.feed(
        topics.INCIDENTS,
        example(
            "incidents",
            "baoji-peninsula-suspicious-activity-no-lockdown",
            assigned_to="WS-07",
            attachments=reports,
        ),
    )
    text = text_of(state)
    assert "Open incidents (2)" in text
    [lotus] = rows(text, "inc-0148cf6eb5dc01dee6fe")
    assert "armed_robbery" in lotus and "1/5 armed" in lotus and "荷花池公园西门" in lotus
    # 2 calls merged, no reports, unassigned, its lockdown (the whole id, or a prefix `lift` takes)
    assert re.search(r"\b2\s+0\s+-\s+ld-d3918d91[0-9a-f]*\s", lotus)
    assert lotus.rstrip(" │").endswith("30m 00s")  # open for, since the first call
    [baoji] = rows(text, "inc-0a1602e7955ac0e44b88")
    assert "P3" in baoji and "0/3" in baoji and "armed" not in baoji
    assert re.search(r"\b1\s+3\s+WS-07\s+-\s", baoji)  # 1 call, 3 reports attached, the workstation
    assert text.index("inc-0148cf6eb5dc01dee6fe") < text.index("inc-0a1602e7955ac0e44b88")  # P1 first


def test_closed_and_deleted_incidents_leave_the_view() -> None:
    state = new_state()
    state.feed(topics.INCIDENTS, example("incidents", "lotus-pond-one-captured"))
    state.feed(topics.INCIDENTS, example("incidents", "hit-and-run-vehicle-plate-listed"))
    state.feed(topics.INCIDENTS, example("incidents", "lotus-pond-closed-all-captured"))
    state.feed_raw(topics.INCIDENTS, b"inc-f6fe7bfcc024b30d9497", None, 0)  # tombstone (compaction)
    text = text_of(state)
    assert "no open incidents" in text and "Open incidents (0)" in text
    assert not state.malformed


# ---------------------------------------------------------------------------------------------- lockdowns


def test_lockdown_events_fold_into_staffing_per_ring_and_time_since_raised() -> None:
    state = new_state()
    state.feed(topics.INCIDENTS, example("incidents", "lotus-pond-second-call-merged"))
    for name in (
        "raised-lotus-pond-on-foot-three-rings",
        "point_staffed-first-core-point",
        "point_staffed-last-core-point",
        "ring_sealed-core",
    ):
        state.feed(topics.LOCKDOWNS, example("lockdowns", name))
    text = text_of(state)
    assert "Active lockdowns (1)" in text
    [row] = rows(text, r"│ ld-d3918d9132985631f277")
    assert "armed_robbery · 荷花池公园西门" in row  # joined with the incident
    assert "28m 30s ago" in row and "core · urban · city" in row
    assert "core  ██████████ 4/4 sealed" in row and "ring_sealed 20:08:51" in row
    assert rows(text, r"urban ░{10} 0/4\s") and rows(text, r"city  ░{10} 0/4\s")


def test_escalation_gives_up_inner_rings_and_lifting_ends_the_lockdown() -> None:
    state = new_state()
    for name in ("raised-lotus-pond-on-foot-three-rings", "point_staffed-first-core-point"):
        state.feed(topics.LOCKDOWNS, example("lockdowns", name))
    assert rows(text_of(state), r"core  ██░{8} 1/4\s")  # 1 of 4: a quarter of the bar, rounded down
    state.feed(topics.LOCKDOWNS, example("lockdowns", "escalated-core-given-up"))
    text = text_of(state)
    [row] = rows(text, r"│ ld-d3918d9132985631f277")
    assert "urban · city " in row and "core · urban" not in row
    assert "core  ░░░░░░░░░░ 0/4 given up" in row and "escalated 20:25:00" in row
    assert state.lockdowns["ld-d3918d9132985631f277"].given_up == ["core"]

    # A replayed event (same event id) changes nothing.
    state.feed(topics.LOCKDOWNS, example("lockdowns", "point_staffed-first-core-point"))
    assert state.lockdowns["ld-d3918d9132985631f277"].last_type == "escalated"

    state.feed(topics.LOCKDOWNS, example("lockdowns", "lifted-operator"))
    text = text_of(state)
    assert "no active lockdowns" in text and "Active lockdowns (0), 1 lifted in view" in text


def test_several_lockdowns_newest_raised_first_and_one_raised_before_the_window() -> None:
    state = new_state()
    state.feed(topics.LOCKDOWNS, example("lockdowns", "point_staffed-first-core-point"))  # no `raised` seen
    state.feed(
        topics.LOCKDOWNS,
        example("lockdowns", "raised-hit-and-run-vehicle-city", at="2026-08-02T20:29:00+08:00"),
    )
    text = text_of(state)
    assert "Active lockdowns (2)" in text
    assert text.index("ld-951d19a5b8228e54ef19") < text.index("ld-d3918d9132985631f277")
    [older] = rows(text, r"│ ld-d3918d9132985631f277")
    assert ">25m 00s ago" in older  # at least since its first event in view
    [newer] = rows(text, r"│ ld-951d19a5b8228e54ef19")
    assert "1m 00s ago" in newer and "city  ░░░░░░░░░░ 0/4" in newer


# ---------------------------------------------------------------------------------------------- robustness


def test_malformed_messages_are_skipped_and_counted() -> None:
    state = new_state()
    state.feed(topics.ALERTS, alert("1", 1, "2026-08-02T20:00:00+08:00", plate="苏C11111"))
    state.feed_raw(topics.ALERTS, b"k", b"{not json", 0)
    state.feed_raw(topics.ALERTS, b"k", b"\xff\xfe", 0)
    state.feed_raw(topics.ALERTS, b"k", b"[1, 2]", 0)
    state.feed_raw(topics.ALERTS, b"k", None, 0)
    state.feed(topics.ALERTS, {k: v for k, v in alert("2", 1, "x").items() if k != "priority"})
    state.feed(topics.ALERTS, alert("3", 7, "2026-08-02T20:00:00+08:00"))
    state.feed(topics.ALERTS, alert("4", True, "2026-08-02T20:00:00+08:00"))  # type: ignore[arg-type]
    state.feed(topics.INCIDENTS, example("incidents", "lotus-pond-one-captured", status="maybe"))
    state.feed(topics.LOCKDOWNS, example("lockdowns", "ring_sealed-core", staffed=[4, 0, 0]))
    state.feed(topics.LOCKDOWNS, example("lockdowns", "ring_sealed-core", rings="core"))
    state.feed_raw(topics.LOCKDOWNS, None, b"\x00" * (2 * 1024 * 1024), 0)
    assert state.malformed == {topics.ALERTS: 7, topics.INCIDENTS: 1, topics.LOCKDOWNS: 3}
    text = text_of(state)
    assert "skipped 11 malformed (alerts 7, incidents 1, lockdowns 3)" in text
    assert "oversized" in text  # the last reason
    assert "苏C11111" in text and "(1 of 1)" in text and "no active lockdowns" in text


def test_odd_but_decodable_values_are_shown_with_question_marks() -> None:
    state = new_state()
    state.feed(
        topics.INCIDENTS,
        example("incidents", "lotus-pond-one-captured", captured="one", call_ids=None, started_at="soon"),
    )
    state.feed(topics.ALERTS, alert("1", 1, "not a time", event_time=None, summary=None, sightings=5))
    state.feed(
        topics.ALERTS,
        alert("2", 1, "0001-01-01T00:00:00+23:59", event_time="9999-12-31T23:59:59-23:59", plate="苏E99999"),
    )
    state.feed(topics.LOCKDOWNS, example("lockdowns", "ring_sealed-core", at="0001-01-01T00:00:00+23:59"))
    text = text_of(state)
    [row] = rows(text, "inc-0148cf6eb5dc01dee6fe")
    assert "?/5" in row and row.rstrip(" │").endswith("?")
    [row] = rows(text, "苏E99999")
    assert re.search(r"P1\s+20:30:00\s", row)  # no usable time: when it was read
    assert "ring_sealed 20:30:00" in text  # no usable time: when it was read
    assert not state.malformed and len(state.alerts) == 2


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
SOURCES = (
    [(topics.ALERTS, m) for m in all_examples("alerts")]
    + [(topics.INCIDENTS, m) for m in all_examples("incidents")]
    + [(topics.LOCKDOWNS, m) for m in all_examples("lockdowns")]
)


@settings(max_examples=300, deadline=None)
@given(
    source=st.sampled_from(SOURCES),
    field=st.text(min_size=1, max_size=3)
    | st.sampled_from(["priority", "rings", "staffed", "summary", "at"]),
    value=JSON,
    data=st.data(),
)
def test_no_message_breaks_the_console(
    source: tuple[str, dict[str, Any]], field: str, value: object, data: st.DataObject
) -> None:
    topic, message = source
    name = data.draw(st.sampled_from([*message, field]))
    broken = {**message, name: value}
    state = new_state()
    state.feed(topic, broken)
    state.feed_raw(topic, b"key", orjson.dumps(broken), 1_754_000_000_000)
    assert sum(state.malformed.values()) in (0, 2)
    text_of(state)  # and it still draws


# ---------------------------------------------------------------------------------------------- rates etc.


def test_input_rates_over_the_last_ten_seconds() -> None:
    state = new_state()
    for at, total in [(0.0, 0), (5.0, 100), (10.0, 200), (20.0, 1200)]:
        state.record_end_offsets(topics.HITS, total, at)
    assert state.rate(topics.HITS) == pytest.approx(100.0)  # (1200 - 200) / 10 s
    state.record_end_offsets(topics.DEADLETTER, 3, 100.0)
    assert state.rate(topics.DEADLETTER) is None  # one sample: unknown
    state.record_end_offsets(topics.DEADLETTER, 5, 104.0)
    state.record_end_offsets(topics.CALLS, 7, 0.0)
    state.record_end_offsets(topics.CALLS, 7, 10.0)
    state.record_end_offsets(topics.PATROL_REPORTS, 50, 0.0)
    state.record_end_offsets(topics.PATROL_REPORTS, 0, 10.0)  # topic recreated: never negative
    text = text_of(state)
    assert "anpr.hits 100.0/s" in text and "dead letters 0.5/s" in text
    assert "calls.110 0.0/s" in text and "patrol.reports 0.0/s" in text


def test_header_names_the_source_time_and_lookback() -> None:
    text = text_of(new_state(lookback=timedelta(minutes=90)))
    assert "citygate console · broker:9092 · 2026-08-02 20:30:00 +0800 · alerts of the last 1h 30m" in text
    assert "anpr.hits —" in text and "no alerts in view" in text


def test_screen_layout_fits_the_terminal() -> None:
    state = new_state(max_alerts=50)
    for n in range(40):
        state.feed(topics.ALERTS, alert(str(n), 1, f"2026-08-02T20:{n:02d}:00+08:00", plate=f"苏D{n:05d}"))
    state.feed(topics.LOCKDOWNS, example("lockdowns", "raised-lotus-pond-on-foot-three-rings"))
    console = Console(record=True, width=160, height=40, file=io.StringIO())
    console.print(state.render_screen(console))
    lines = console.export_text().splitlines()
    assert len(lines) == 40
    assert any("ld-d3918d9132985631f277" in line for line in lines)
    assert any("苏D00039" in line for line in lines)  # the newest P1 on top


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2h", timedelta(hours=2)), ("90m", timedelta(minutes=90)), ("1h30m", timedelta(minutes=90)),
     ("45s", timedelta(seconds=45)), ("1d", timedelta(days=1)), ("30", timedelta(minutes=30)),
     ("0.5h", timedelta(minutes=30))],
)  # fmt: skip
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2x", "h", "two hours", "-1h"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_alerts_and_lifted_lockdowns_older_than_the_lookback_leave_the_view() -> None:
    now = [NOW]
    state = ConsoleState(tz=CST, clock=lambda: now[0], lookback=timedelta(hours=2))
    ms = int(NOW.timestamp() * 1000)
    for n, ago_min in enumerate([150, 90, 10]):
        message = alert(str(n), 1, "2026-08-02T20:00:00+08:00", plate=f"苏F0000{n}")
        state.feed_raw(topics.ALERTS, b"k", orjson.dumps(message), ms - ago_min * 60_000)
    lifted = example("lockdowns", "lifted-operator", at="2026-08-02T18:00:00+08:00")
    state.feed(topics.LOCKDOWNS, lifted)
    text = text_of(state)
    assert "苏F00000" not in text and "苏F00001" in text and "苏F00002" in text and "(2 of 2)" in text
    assert "lifted in view" not in text
    now[0] = NOW + timedelta(minutes=40)  # the console ran on
    text = text_of(state)
    assert "苏F00001" not in text and "苏F00002" in text and "(1 of 1)" in text


def test_kafka_timestamp_stands_in_for_missing_event_and_creation_times() -> None:
    state = new_state()
    message = alert("1", 1, "2026-08-02T20:00:00+08:00")
    del message["created_at"], message["event_time"]
    state.feed_raw(topics.ALERTS, b"k", orjson.dumps(message), 1_785_673_800_000)  # 2026-08-02 12:30 UTC
    assert state.alerts[message["alert_id"]].when == datetime(2026, 8, 2, 12, 30, tzinfo=UTC)
    assert "20:30:00" in text_of(state)


def test_the_reason_shown_for_a_malformed_message_is_the_domain_readers() -> None:
    state = new_state()
    state.feed(topics.ALERTS, alert("1", 7, "2026-08-02T20:00:00+08:00"))
    assert state.last_malformed == "alerts: field 'priority' must be in 1..3, got 7"
    state.feed(
        topics.LOCKDOWNS, {k: v for k, v in example("lockdowns", "ring_sealed-core").items() if k != "sealed"}
    )
    assert state.last_malformed == "lockdowns: field 'sealed' is required"
    state.feed(topics.INCIDENTS, [])
    assert state.last_malformed == "incidents: a message must be an object, got list"
