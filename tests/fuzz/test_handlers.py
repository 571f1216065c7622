"""Fuzzing every input topic through the worker's own handlers (no broker): 10,000+ hostile messages, each
must become exactly one dead letter with a reason and have no other effect (no alert, no incident, no
lockdown, no alert version, no watchlist change, no checkpoint-health reading; a command with a readable
id is answered as refused, and the answer audited), while a valid message sent after each one still takes
effect. The same strategies drive the real-broker fuzz (tests/integration)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from streams import codecs, topics
from streams.domain.matching.watchlist import WatchlistIndex
from streams.settings import Settings
from streams.worker.metrics import Metrics
from streams.worker.pipeline import InputRecord, Pipeline
from streams.worker.sensor.matcher import HitMatcher
from streams.worker.watchlist.checker import EntryChecker
from tests.fuzz.inputs import Bad, bad_inputs, valid
from tests.unit.worker.command_side.harness import CommandSide

NOW = datetime.now(UTC)
STAMP = round(NOW.timestamp() * 1000)
EXAMPLES_PER_TOPIC = 1500  # 7 topics: 10,500 bad inputs per run
FUZZ = settings(
    max_examples=EXAMPLES_PER_TOPIC,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
COUNTER = itertools.count(1)


async def _never(record: object) -> object:
    raise AssertionError("nothing is sent here")


class Sensor:
    """The hits matcher of a worker, with one listed plate, records in → records out."""

    def __init__(self) -> None:
        self.settings = Settings(topic_prefix="fz.")
        self.index = WatchlistIndex()
        key, entry = valid("watchlist.entries", NOW, 0)
        entry["plate"] = "苏K12345"
        self.index.upsert(codecs.parse_entry(key.decode(), entry))
        self.metrics = Metrics()
        self.matcher = HitMatcher(self.settings, self.index, self.metrics)
        self.pipeline = Pipeline(self.settings, self.metrics, _never)

    def feed(self, key: bytes | None, value: bytes | None) -> list[tuple[str, dict[str, object]]]:
        record = InputRecord("fz.anpr.hits", 0, next(COUNTER), STAMP, key, value)
        outgoing, _ = self.pipeline.handle_messages([record], self.matcher, NOW)
        return [(o.topic, orjson.loads(o.value)) for o in outgoing]


class Watchlist:
    """A worker's watchlist checker and its replica's apply, on the same records."""

    def __init__(self) -> None:
        self.settings = Settings(topic_prefix="fz.")
        self.index = WatchlistIndex()
        self.checker = EntryChecker(self.settings)
        self.pipeline = Pipeline(self.settings, Metrics(), _never)

    def feed(self, key: bytes | None, value: bytes | None) -> list[tuple[str, dict[str, object]]]:
        record = InputRecord("fz.watchlist.entries", 0, next(COUNTER), STAMP, key, value)
        outgoing, _ = self.pipeline.handle_messages([record], self.checker, NOW)
        codecs.apply_watchlist_record(
            self.index,
            key,
            value,
            max_bytes=self.settings.max_message_bytes,
            listed_at=NOW,
            bounds=self.settings.time_bounds(),
        )
        return [(o.topic, orjson.loads(o.value)) for o in outgoing]


SENSOR, WATCHLIST, COMMAND_SIDE = Sensor(), Watchlist(), CommandSide(Settings(topic_prefix="fz."))


def _only_a_dead_letter(out: list[tuple[str, dict[str, object]]], source: str, how: str) -> None:
    assert [topic for topic, _ in out] == [topics.DEADLETTER], f"{how}: {out}"
    letter = out[0][1]
    assert letter["reason"]["code"] and letter["source"]["topic"] == source, how  # type: ignore[index]


@FUZZ
@given(bad_inputs("anpr.hits", NOW))
def test_bad_hits_are_dead_letters_and_nothing_else(bad: Bad) -> None:
    key, value, how = bad
    seen = len(SENSOR.matcher.sightings), len(SENSOR.matcher.grouper)
    _only_a_dead_letter(SENSOR.feed(key, value), topics.HITS, how)
    assert (len(SENSOR.matcher.sightings), len(SENSOR.matcher.grouper)) == seen, how
    good_key, good = valid("anpr.hits", NOW, next(COUNTER))
    out = SENSOR.feed(good_key, orjson.dumps(good))
    assert [topic for topic, _ in out] == [topics.ALERTS], f"the valid hit after {how}: {out}"
    SENSOR.matcher.take_sightings()
    # The retro scan reads the same topic with a readings-only decoder: it must skip what it cannot read.
    assert isinstance(codecs.hit_readings(value), tuple), how


@FUZZ
@given(bad_inputs("watchlist.entries", NOW))
def test_bad_watchlist_records_are_dead_letters_and_change_no_replica(bad: Bad) -> None:
    key, value, how = bad
    before = sorted(e.entry_id for e in WATCHLIST.index)
    _only_a_dead_letter(WATCHLIST.feed(key, value), topics.WATCHLIST, how)
    assert sorted(e.entry_id for e in WATCHLIST.index) == before, how
    assert not WATCHLIST.checker.take_upserted(), how
    good_key, good = valid("watchlist.entries", NOW, next(COUNTER))
    out = WATCHLIST.feed(good_key, orjson.dumps(good))
    assert [topic for topic, _ in out] == [topics.AUDIT], f"the valid entry after {how}: {out}"
    assert WATCHLIST.index.get(good_key.decode()) is not None
    WATCHLIST.checker.take_upserted()


@pytest.mark.parametrize(
    "topic",
    [topics.CALLS, topics.PATROL_REPORTS, topics.OPERATOR_COMMANDS, topics.ALERTS, topics.ALERTS_RESTRICTED],
)
def test_bad_command_side_input_is_a_dead_letter_and_changes_no_table(topic: str) -> None:
    @FUZZ
    @given(bad_inputs(topic, NOW))
    def run(bad: Bad) -> None:
        key, value, how = bad
        before = {name: table.writes for name, table in COMMAND_SIDE.tables.items()}
        out = COMMAND_SIDE.feed(topic, key, value, now=NOW)
        code = out[0].value["reason"]["code"]
        if topic == topics.OPERATOR_COMMANDS and len(out) > 1:  # it has an id: its sender is answered
            assert [r.topic for r in out] == [topics.DEADLETTER, topics.AUDIT, topics.COMMAND_RESULTS], how
            answer = out[2].value
            assert answer["outcome"] == "refused" and answer["reason"]["code"] == code, how
            assert out[1].value["command_id"] == answer["command_id"] == out[2].key, how
        else:
            assert [r.topic for r in out] == [topics.DEADLETTER], f"{how}: {out}"
        assert code, how
        assert {name: table.writes for name, table in COMMAND_SIDE.tables.items()} == before, how
        n = next(COUNTER)
        good_key, good = valid(topic, NOW, n)
        if topic == topics.OPERATOR_COMMANDS:  # a command that can take effect: accept a booked alert
            alert_key, booked = valid(topics.ALERTS, NOW, n)
            COMMAND_SIDE.feed(topics.ALERTS, alert_key, orjson.dumps(booked), now=NOW)
            good_key = alert_key
            # An id no spoiled command carries: a command id answered already is answered the same again.
            good.update(
                command="accept_hit", target_id=booked["alert_id"], reason_code=None, command_id=f"cmd-ok-{n}"
            )
        out = COMMAND_SIDE.feed(topic, good_key, orjson.dumps(good), now=NOW)
        assert topics.DEADLETTER not in [r.topic for r in out], f"the valid {topic} after {how}: {out}"
        if topic in (topics.ALERTS, topics.ALERTS_RESTRICTED):
            assert good["alert_id"] in COMMAND_SIDE.tables["alert_book"]
        if topic == topics.CALLS:
            assert any(good["call_id"] in i["call_ids"] for i in COMMAND_SIDE.tables["incidents"].values())
        if topic == topics.OPERATOR_COMMANDS:
            assert [r.topic for r in out] == [topics.ALERTS, topics.AUDIT, topics.COMMAND_RESULTS]
            assert out[2].value["outcome"] == "applied"

    run()
