"""Every time on every input is bounded against when the message reached Kafka, and every key is checked:
a refused message is one `InvalidInput` (a dead letter), never an overflow or a silent acceptance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams import codecs
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.hits import HitLimits
from streams.domain.timebounds import TimeBounds
from tests.unit.fixtures import NOW, entry_message, hit_message

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples"
BOUNDS = TimeBounds()


def example(topic: str, name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((EXAMPLES / topic / "valid" / f"{name}.json").read_text("utf-8"))
    return value


def call(at: datetime, **changes: Any) -> dict[str, Any]:
    return {
        **example("calls.110", "lotus-pond-armed-robbery-on-foot"),
        "received_at": at.isoformat(),
        **changes,
    }


def report(at: datetime) -> dict[str, Any]:
    return {**example("patrol.reports", "rr-07-arrived-at-point-bp-012"), "at": at.isoformat()}


def command(at: datetime) -> dict[str, Any]:
    return {**example("operator.commands", "lift-lockdown"), "issued_at": at.isoformat()}


PARSERS = {
    "call": lambda at: codecs.parse_call("110-20260802-0001", call(at), ref=NOW, bounds=BOUNDS),
    "report": lambda at: codecs.parse_report("RR-07", report(at), ref=NOW, bounds=BOUNDS),
    "command": lambda at: codecs.parse_command(
        "ld-0123456789abcdef0123", command(at), ref=NOW, bounds=BOUNDS
    ),
    "hit": lambda at: codecs.parse_hit(
        hit_message(event_time=at.isoformat()), now=NOW, arrived_at=NOW, limits=HitLimits()
    ),
    "entry valid_from": lambda at: codecs.parse_entry(
        "WL-1", entry_message(valid_from=at.isoformat(), valid_until=None), listed_at=NOW, bounds=BOUNDS
    ),
}
ABSURD = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8))),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=8))),
    NOW + timedelta(hours=1),
]


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize("at", ABSURD, ids=str)
def test_an_absurd_time_on_any_input_is_refused(kind: str, at: datetime) -> None:
    if kind == "entry valid_from" and at.year == 1970 or kind == "entry valid_from" and at.year == 1:
        at = datetime(1990, 1, 1, tzinfo=UTC)  # entries may be old (a car stolen years ago): 36 years is not
    with pytest.raises(InvalidInput) as refused:
        PARSERS[kind](at)
    assert refused.value.code == "invalid_value"


@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_a_time_just_now_is_accepted(kind: str) -> None:
    PARSERS[kind](NOW - timedelta(seconds=30))


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))  # noqa: DTZ001 - hypothesis bounds are naive
def test_no_time_raises_anything_but_a_refusal(moment: datetime) -> None:
    for offset in (timedelta(hours=14), timedelta(hours=-12)):
        at = moment.replace(tzinfo=timezone(offset))
        for parse in PARSERS.values():
            try:
                parse(at)
            except InvalidInput:
                pass


def test_a_watchlist_entry_valid_until_past_a_century_is_absurd() -> None:
    with pytest.raises(InvalidInput, match="valid_until"):
        codecs.parse_entry(
            "WL-1", entry_message(valid_until="9999-01-01T00:00:00+00:00"), listed_at=NOW, bounds=BOUNDS
        )


def test_a_stale_command_is_refused_but_an_old_watchlist_listing_is_not() -> None:
    with pytest.raises(InvalidInput, match="old"):
        PARSERS["command"](NOW - timedelta(hours=2))
    PARSERS["entry valid_from"](NOW - timedelta(days=3 * 365))


@pytest.mark.parametrize(
    ("parse", "key"),
    [
        (lambda key: codecs.parse_call(key, call(NOW)), "110-OTHER"),
        (lambda key: codecs.parse_call(key, call(NOW)), None),
        (lambda key: codecs.parse_report(key, report(NOW)), "RR-99"),
        (lambda key: codecs.parse_report(key, report(NOW)), None),
        (lambda key: codecs.parse_command(key, command(NOW)), None),
        (lambda key: codecs.parse_command(key, command(NOW)), "ld-other"),
        (lambda key: codecs.parse_entry(key, entry_message()), None),
        (lambda key: codecs.parse_entry(key, entry_message()), "WL-2"),
        (lambda key: codecs.parse_hit(hit_message(), now=NOW, key=key), "YZ-EC-9999"),
        (lambda key: codecs.parse_hit(hit_message(), now=NOW, key=key), None),
    ],
)
def test_every_input_s_key_is_the_id_its_schema_says(parse: Any, key: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(key)
    assert refused.value.code == "key_mismatch"


@pytest.mark.parametrize("key", [None, b"", b"\xff\xfe", b"has space", b"x" * 65])
def test_a_watchlist_tombstone_needs_an_entry_id_as_its_key(key: bytes | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        codecs.tombstone_key(key)
    assert refused.value.code == "key_mismatch"
    assert codecs.tombstone_key(b"WL-1") == "WL-1"


def test_a_key_that_is_not_utf8_is_no_id() -> None:
    with pytest.raises(InvalidInput) as refused:
        codecs.decode_key(b"\xff")
    assert refused.value.code == "key_mismatch"
