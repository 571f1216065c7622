"""The backoff citygate adds between aiokafka's failed metadata updates, and the aiokafka internals it
wraps: fails loudly when an upgrade moves them (streams/worker/kafka_internals.py)."""

from __future__ import annotations

import asyncio
import inspect
from importlib.metadata import version
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.client import AIOKafkaClient

from streams.worker import kafka_internals
from streams.worker.kafka_internals import KNOWN_AIOKAFKA_VERSION, install, settled_position, with_backoff


def test_aiokafka_is_the_release_the_patch_was_written_for() -> None:
    assert version("aiokafka") == KNOWN_AIOKAFKA_VERSION, (
        f"aiokafka {version('aiokafka')} is not {KNOWN_AIOKAFKA_VERSION}: check whether its metadata "
        "synchronizer still retries without a pause (streams/worker/kafka_internals.py), then update it"
    )


def test_the_wrapped_method_is_still_the_synchronizers_coroutine() -> None:
    method = AIOKafkaClient._metadata_update
    assert inspect.iscoroutinefunction(method)
    assert list(inspect.signature(method).parameters) == ["self", "cluster_metadata", "topics"]
    assert "_metadata_update" in inspect.getsource(AIOKafkaClient._md_synchronizer)


class Client:
    _retry_backoff = 0.1


def _run(outcomes: list[bool], monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Pauses taken by the wrapped update over `outcomes` (True: the update succeeded)."""
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(round(seconds, 3))

    monkeypatch.setattr(kafka_internals.asyncio, "sleep", pause)
    results = iter(outcomes)

    async def update(client: Any, cluster: Any, topics: Any) -> bool:
        return next(results)

    wrapped = with_backoff(update, max_backoff_s=1.0)
    client = Client()

    async def all_of_them() -> None:
        for _ in outcomes:
            await wrapped(client, None, set())

    asyncio.run(all_of_them())
    return pauses


def test_failures_pause_doubling_to_the_cap_and_a_success_resets(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses = _run([False, False, False, False, False, True, False], monkeypatch)
    assert pauses == [0.1, 0.2, 0.4, 0.8, 1.0, 0.1]


def test_successful_updates_never_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run([True] * 5, monkeypatch) == []


def test_install_wraps_once() -> None:
    install()
    first = AIOKafkaClient._metadata_update
    install()
    assert AIOKafkaClient._metadata_update is first
    assert getattr(first, "_citygate_backoff", False)


def test_settled_position_reads_the_assignment_without_waiting() -> None:
    async def probe() -> tuple[int | None, int | None, int | None]:
        consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")  # never started: no broker needed
        held, other = TopicPartition("anpr.hits", 0), TopicPartition("anpr.hits", 1)
        before = settled_position(consumer, held)
        consumer.assign([held])
        unknown = settled_position(consumer, held)  # assigned, not yet reset to an offset
        consumer._subscription.subscription.assignment.state_value(held).seek(42)
        assert settled_position(consumer, other) is None
        return before, unknown, settled_position(consumer, held)

    assert asyncio.run(probe()) == (None, None, 42)
