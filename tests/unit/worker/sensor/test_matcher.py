"""The sensor side without a broker: the replica gate, the batch handler's dead-letter path, and delivery
confirmation (outputs in Kafka before their input is committed).

Hits are consumed by streams/worker/sensor/consumer.py's own consumer, not a Faust agent; here its batch
handler gets records
directly and the app's sends are captured. Consuming, committing and rebalancing on the real broker are
covered by tests/integration (hits to alerts, restart, two workers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams import topics
from streams.codecs import parse_entry
from streams.settings import Settings
from streams.signing import SigningKey
from streams.worker.app import Citygate, build_app
from streams.worker.pipeline import InputRecord, Outgoing, TopicSender
from streams.worker.sensor.consumer import Delivery, DeliveryFailed
from tests.keys import desk_key_file
from tests.unit.fixtures import entry_message, hit_message

ROOT_KEY = SigningKey.generate("root").public_key_b64  # the worker needs a registry root to start


class Sent:
    """Stands in for a topic's `send`, recording what the agent produced."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes, dict[str, Any]]] = []

    async def __call__(self, *, key: bytes, value: bytes) -> None:
        self.records.append((key, orjson.loads(value)))


@pytest.fixture
async def citygate(tmp_path: Path) -> AsyncIterator[tuple[Citygate, dict[str, Sent]]]:
    settings = Settings(
        data_dir=tmp_path,
        app_id="citygate-agent-test",
        registry_root_key=ROOT_KEY,
        worker_key_file=desk_key_file(tmp_path),
    )
    built = build_app(settings)
    built.app.finalize()
    built.app.flow_control.resume()
    sent = {name: Sent() for name in (topics.ALERTS, topics.ALERTS_RESTRICTED, topics.DEADLETTER)}
    for name, recorder in sent.items():
        built.topics[name].send = recorder  # type: ignore[method-assign]
    yield built, sent


def live(message: dict[str, Any]) -> bytes:
    message["event_time"] = datetime.now(UTC).isoformat()
    return orjson.dumps(message)


def add_entry(citygate: Citygate, **changes: Any) -> None:
    now = datetime.now(UTC)
    message = entry_message(valid_from=(now - timedelta(days=1)).isoformat(), **changes)
    citygate.index.upsert(parse_entry(str(message["entry_id"]), message))


async def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"condition not met in time: {condition.__doc__}"
        await asyncio.sleep(0.01)


def records(*values: bytes) -> list[InputRecord]:
    at = round(datetime.now(UTC).timestamp() * 1000)  # when they reached Kafka (ms): hits are judged by it
    return [InputRecord("anpr.hits", 3, 100 + n, at, b"YZ-EC-0001", value) for n, value in enumerate(values)]


async def test_no_hit_is_consumed_before_the_replica_is_ready(
    citygate: tuple[Citygate, dict[str, Sent]],
) -> None:
    built, _ = citygate
    joined: list[bool] = []

    class Joined(Exception):
        """Ends the consumer loop where it would join the group."""

    def open_consumer() -> Any:
        joined.append(built.replica.ready.is_set())
        raise Joined

    built.sensor.open_consumer = open_consumer  # type: ignore[method-assign]
    consuming = asyncio.ensure_future(built.sensor.consume())
    await asyncio.sleep(0.3)
    assert joined == []  # holds no partitions while the watchlist may still be incomplete
    built.replica.ready.set()
    with pytest.raises(Joined):
        await asyncio.wait_for(consuming, timeout=5)
    assert joined == [True]


async def test_each_bad_hit_is_dead_lettered_and_the_batch_goes_on(
    citygate: tuple[Citygate, dict[str, Sent]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    built, sent = citygate
    add_entry(built)
    add_entry(built, entry_id="WL-C", plate="苏A9B876", covert=True)
    # A bug in the domain must not end the loop or skip silently: it becomes a processing_error dead letter.
    from streams.worker.sensor import matcher as hits_agent

    real_match = hits_agent.find_matches

    def flaky_match(hit: Any, *args: Any, **kwargs: Any) -> Any:
        if hit.hit_id == "boom":
            raise KeyError(f"simulated bug reading {hit.plate.raw}")
        return real_match(hit, *args, **kwargs)

    monkeypatch.setattr(hits_agent, "find_matches", flaky_match)
    outgoing = built.handle_hits(
        records(
            b"{oops",
            live(hit_message(hit_id="boom")),
            live(hit_message(lane=0)),
            live(hit_message(hit_id="ok")),
            live(hit_message(hit_id="covert", plate_text="苏A9B876")),
        )
    )
    send = TopicSender(built.topics)
    for record in outgoing:
        await send(record)
    assert len(sent[topics.DEADLETTER].records) == 3 and len(sent[topics.ALERTS].records) == 1
    assert len(sent[topics.ALERTS_RESTRICTED].records) == 1
    letter = sent[topics.DEADLETTER].records[0][1]
    assert (letter["source"]["partition"], letter["source"]["offset"]) == (3, 100)  # where to find it
    reasons = [letter["reason"]["code"] for _, letter in sent[topics.DEADLETTER].records]
    assert reasons == ["malformed_json", "processing_error", "invalid_value"]
    assert "simulated bug" in sent[topics.DEADLETTER].records[1][1]["reason"]["detail"]
    # The log says where and what broke, with the frames, but never the plate (the dead letter has it).
    logged = "\n".join(r.getMessage() for r in caplog.records if "processing failed" in r.getMessage())
    assert "KeyError" in logged and "flaky_match" in logged
    plate = hit_message(hit_id="boom")["plate_text"]
    assert plate in sent[topics.DEADLETTER].records[1][1]["reason"]["detail"] and plate not in logged
    assert sent[topics.ALERTS].records[0][1]["refs"][0]["id"] == "ok"
    assert sent[topics.ALERTS_RESTRICTED].records[0][1]["plate"] == "苏A9B876"


# ---- delivery: outputs confirmed in Kafka before their input is committed ----------------------------


class Producer:
    """Stands in for the producer's outcome: a send's future resolves only when the producer is flushed,
    as aiokafka's do when their batch is answered; `failing` sends fail that many times."""

    def __init__(self, failing: dict[bytes, int] | None = None, refuse: bytes | None = None) -> None:
        self.failing = dict(failing or {})
        self.refuse = refuse
        self.sent: list[bytes] = []
        self.flushes = 0
        self._unanswered: list[tuple[bytes, asyncio.Future[object]]] = []

    async def send(self, record: Outgoing) -> asyncio.Future[object]:
        self.sent.append(record.key)
        if record.key == self.refuse:
            raise RuntimeError("buffer full")
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._unanswered.append((record.key, future))
        return future

    async def flush(self) -> None:
        self.flushes += 1
        for key, future in self._unanswered:
            if self.failing.get(key, 0) > 0:
                self.failing[key] -= 1
                future.set_exception(TimeoutError(f"no answer for {key!r}"))
            else:
                future.set_result("delivered")
        self._unanswered = []


def outputs(*keys: str) -> list[Outgoing]:
    return [Outgoing(topic=topics.ALERTS, key=key.encode(), value=b"{}") for key in keys]


async def test_delivery_is_confirmed_after_a_flush_and_failed_outputs_are_sent_again() -> None:
    producer = Producer(failing={b"a2": 1})
    delivery = Delivery(producer.send, producer.flush, attempts=3, backoff_s=0.01)
    await delivery.send(outputs("a1", "a2", "a3"))
    assert len(delivery) == 3 and producer.flushes == 0
    await asyncio.wait_for(delivery.confirm(), timeout=5)  # would hang if it checked before flushing
    assert producer.sent == [b"a1", b"a2", b"a3", b"a2"] and delivery.resent == 1
    assert len(delivery) == 0 and producer.flushes == 2


async def test_a_send_refused_at_once_is_tried_again_like_a_failed_one() -> None:
    producer = Producer(refuse=b"r1")
    delivery = Delivery(producer.send, producer.flush, attempts=2, backoff_s=0.01)
    await delivery.send(outputs("r1"))
    producer.refuse = None  # the buffer has room again
    await delivery.confirm()
    assert producer.sent == [b"r1", b"r1"] and len(delivery) == 0


async def test_outputs_that_never_go_fail_the_delivery() -> None:
    producer = Producer(failing={b"x": 99})
    delivery = Delivery(producer.send, producer.flush, attempts=3, backoff_s=0.01)
    await delivery.send(outputs("ok", "x"))
    with pytest.raises(DeliveryFailed, match="1 outputs not delivered after 3 tries"):
        await delivery.confirm()
    assert producer.sent.count(b"x") == 3 and producer.sent.count(b"ok") == 1
