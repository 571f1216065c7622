"""Fuzzing a real worker on the real broker: ~2,000 hostile messages over every topic it consumes,
interleaved with valid ones. Each hostile one is one dead letter with a reason and causes nothing (no
alert, incident, lockdown or alert version); every valid one takes effect (a valid command, with no lockdown
to staff, is answered as refused for that); the worker never restarts.
(tests/fuzz runs 10,000+ through the same handlers without a broker.)"""

from __future__ import annotations

import base64
import itertools
import os
from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from streams import topics
from tests.fuzz.inputs import TOPICS, Bad, bad_inputs, valid
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry

pytestmark = pytest.mark.kafka
PER_TOPIC = int(os.environ.get("CITYGATE_FUZZ_PER_TOPIC", "300"))


def draw(topic: str, now: datetime, count: int) -> list[Bad]:
    """`count` hostile messages for `topic`, drawn by hypothesis (reproducibly: derandomized)."""
    found: list[Bad] = []

    @settings(
        max_examples=count,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(bad_inputs(topic, now))
    def collect(bad: Bad) -> None:
        found.append(bad)

    collect()
    return found[:count]


def test_a_worker_survives_hostile_input_on_every_topic_and_lets_nothing_through(cluster: Cluster) -> None:
    cluster.send(topics.WATCHLIST, live_entry("WL-FZ-LISTED", "苏K12345"), key="WL-FZ-LISTED")
    cluster.flush()
    worker = cluster.start_worker()
    cluster.wait_past_listing()
    now = datetime.now(UTC)
    ids = itertools.count(10**6)
    producer = cluster.producer()
    bad_sends: list[tuple[str, object]] = []
    valid_hits: set[str] = set()
    valid_calls: set[str] = set()
    valid_commands: set[str] = set()
    for topic in TOPICS:
        for key, value, _ in draw(topic, now, PER_TOPIC):
            if key is None and topic == topics.WATCHLIST:
                continue  # the broker refuses it (a compacted topic takes no record without a key)
            bad_sends.append((topic, producer.send(cluster.settings.topic(topic), key=key, value=value)))
            good_key, good = valid(topic, now, next(ids))
            if topic in (topics.ALERTS, topics.ALERTS_RESTRICTED):
                continue  # alert topics are the worker's own: no forged "valid" alerts here
            # A dict: a valid operator command or watchlist entry is signed by the tests' officer
            # (Cluster.send); an unsigned one would be refused (`unsigned`).
            signed = topic in (topics.OPERATOR_COMMANDS, topics.WATCHLIST)
            cluster.send(topic, good if signed else orjson.dumps(good), key=good_key)
            if topic == topics.HITS:
                valid_hits.add(str(good["hit_id"]))
            if topic == topics.CALLS:
                valid_calls.add(str(good["call_id"]))
            if topic == topics.OPERATOR_COMMANDS:
                valid_commands.add(str(good["command_id"]))
    cluster.flush()
    sent_bad = Counter(topic for topic, sent in bad_sends if sent.succeeded())  # type: ignore[attr-defined]
    total = sum(sent_bad.values())
    assert total == len(bad_sends)  # the broker took every one: each is citygate's to refuse

    # The valid commands staff a point no lockdown needs (there is none): each is well-formed, refused for
    # that, and answered; it is dead-lettered too, so it is counted apart from the hostile ones.
    expected = total + len(valid_commands)
    try:
        everything = cluster.read(
            topics.DEADLETTER, until=lambda m: len(m) >= expected, timeout=120, settle=5
        )
    except AssertionError:  # say which ones had none, below
        everything = cluster.read(topics.DEADLETTER, until=lambda m: True, settle=2)
    letters = [d for d in everything if _command_id(d) not in valid_commands]
    refused_valid = [d for d in everything if _command_id(d) in valid_commands]
    assert {_command_id(d) for d in refused_valid} == valid_commands
    assert {d["reason"]["detail"] for d in refused_valid} == {"no active lockdown needs point BP-012"}  # type: ignore[index]
    answered = cluster.read(
        topics.COMMAND_RESULTS, until=lambda m: valid_commands <= {a["command_id"] for a in m}
    )
    assert all(a["outcome"] == "refused" and a["reason"] for a in answered)  # no hostile command was applied
    by_source = Counter(str(d["source"]["topic"]) for d in letters)  # type: ignore[index]
    if by_source != sent_bad:
        lettered = {(str(d["source"]["topic"]), int(d["source"]["offset"])) for d in letters}  # type: ignore[index]
        missing = [(t, s.get().offset) for t, s in bad_sends if (t, s.get().offset) not in lettered]  # type: ignore[attr-defined]
        raise AssertionError(f"no dead letter for {missing[:20]} ({by_source} != {sent_bad})")
    assert all(d["reason"]["code"] and d["reason"]["detail"] for d in letters)  # type: ignore[index]

    # The alerts topic also holds what the fuzz wrote to it as a forger would: leave those records out.
    forged = {s.get().offset for t, s in bad_sends if t == topics.ALERTS}  # type: ignore[attr-defined]
    alerts = [a for offset, a in _read_with_offsets(cluster, topics.ALERTS) if offset not in forged]
    assert {str(a["refs"][0]["id"]) for a in alerts} == valid_hits  # type: ignore[index]
    assert all(a["state"] == "new" and a["review"] is None for a in alerts)  # no version from a bad command
    incidents = cluster.read(topics.INCIDENTS, until=lambda m: bool(m) or not valid_calls, settle=3)
    called = {c for i in incidents for c in i["call_ids"]}  # type: ignore[union-attr]
    assert called <= valid_calls and called  # every incident from a valid call
    lockdowns = cluster.read(topics.LOCKDOWNS, until=lambda m: True, settle=1)
    assert lockdowns == []  # the valid calls are thefts: no lockdown; no hostile one raised one
    worker.assert_alive()
    log = worker.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "crashed" not in log.lower(), worker.log_tail(60)  # no agent restarted
    assert worker.health() == 200
    assert "citygate_events_total" in worker.metrics()


def _command_id(letter: dict[str, object]) -> str | None:
    """The command id of a dead-lettered operator command, when its value still holds one."""
    source = letter["source"]
    if (
        not isinstance(source, dict)
        or source.get("topic") != topics.OPERATOR_COMMANDS
        or not letter["value_b64"]
    ):
        return None
    try:
        value = orjson.loads(base64.b64decode(str(letter["value_b64"])))
    except (orjson.JSONDecodeError, ValueError):
        return None
    found = value.get("command_id") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def _read_with_offsets(cluster: Cluster, topic: str) -> list[tuple[int, dict[str, object]]]:
    """(offset, value) of every JSON object on `topic` now, settled for a few seconds."""
    import time

    from kafka import KafkaConsumer, TopicPartition

    time.sleep(3)
    consumer = KafkaConsumer(bootstrap_servers=cluster.settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        tp = TopicPartition(cluster.settings.topic(topic), 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        found: list[tuple[int, dict[str, object]]] = []
        while consumer.position(tp) < end:
            for record in consumer.poll(timeout_ms=500).get(tp, []):
                try:
                    value = orjson.loads(record.value) if record.value is not None else None
                except orjson.JSONDecodeError:
                    continue
                if isinstance(value, dict):
                    found.append((record.offset, value))
        return found
    finally:
        consumer.close()
