"""The hits agent inside Faust (agent.test_context): batching, the replica gate and the dead-letter path.

No broker here: the agent reads a test channel and its sends are captured. The same flow on the real broker
is covered by tests/integration.
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
from streams.app import Citygate, build_app
from streams.domain.watchlist import parse_entry
from streams.settings import Settings
from tests.unit.fixtures import entry_message, hit_message


class Sent:
    """Stands in for a topic's `send`, recording what the agent produced."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes, dict[str, Any]]] = []

    async def __call__(self, *, key: bytes, value: bytes) -> None:
        self.records.append((key, orjson.loads(value)))


@pytest.fixture
async def citygate(tmp_path: Path) -> AsyncIterator[tuple[Citygate, dict[str, Sent]]]:
    built = build_app(Settings(data_dir=tmp_path, app_id="citygate-agent-test"))
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


async def test_no_hit_is_matched_before_the_replica_is_ready(
    citygate: tuple[Citygate, dict[str, Sent]],
) -> None:
    built, sent = citygate
    add_entry(built)
    async with built.app.agents[_agent_name(built, "match_hits")].test_context() as agent:
        await agent.put(live(hit_message()), wait=False)
        await asyncio.sleep(0.3)
        assert sent[topics.ALERTS].records == []  # held back: the watchlist may still be incomplete
        built.replica.ready.set()
        await wait_for(lambda: len(sent[topics.ALERTS].records) == 1)
    key, alert = sent[topics.ALERTS].records[0]
    assert key.decode() == alert["alert_id"] and alert["plate"] == "苏K12345"


async def test_each_bad_hit_is_dead_lettered_and_the_agent_goes_on(
    citygate: tuple[Citygate, dict[str, Sent]], monkeypatch: pytest.MonkeyPatch
) -> None:
    built, sent = citygate
    add_entry(built)
    add_entry(built, entry_id="WL-C", plate="苏A9B876", covert=True)
    built.replica.ready.set()
    # A bug in the domain must not kill the agent or skip silently: it becomes a processing_error dead letter.
    from streams.agents import hits as hits_agent

    real_match = hits_agent.match_hit

    def flaky_match(hit: Any, *args: Any, **kwargs: Any) -> Any:
        if hit.hit_id == "boom":
            raise KeyError("simulated bug")
        return real_match(hit, *args, **kwargs)

    monkeypatch.setattr(hits_agent, "match_hit", flaky_match)
    async with built.app.agents[_agent_name(built, "match_hits")].test_context() as agent:
        for value in (
            b"{oops",
            live(hit_message(hit_id="boom")),
            live(hit_message(lane=0)),
            live(hit_message(hit_id="ok")),
            live(hit_message(hit_id="covert", plate_text="苏A9B876")),
        ):
            await agent.put(value, wait=False)
        await wait_for(
            lambda: len(sent[topics.DEADLETTER].records) == 3 and len(sent[topics.ALERTS].records) == 1
        )
        await wait_for(lambda: len(sent[topics.ALERTS_RESTRICTED].records) == 1)
    reasons = [letter["reason"]["code"] for _, letter in sent[topics.DEADLETTER].records]
    assert reasons == ["malformed_json", "processing_error", "invalid_value"]
    assert "simulated bug" in sent[topics.DEADLETTER].records[1][1]["reason"]["detail"]
    assert sent[topics.ALERTS].records[0][1]["refs"][0]["id"] == "ok"
    assert sent[topics.ALERTS_RESTRICTED].records[0][1]["plate"] == "苏A9B876"


def _agent_name(built: Citygate, short: str) -> str:
    return next(name for name in built.app.agents if name.endswith(short))
