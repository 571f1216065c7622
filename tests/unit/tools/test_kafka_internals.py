"""What the tools use of kafka-python that it does not promise: fails loudly when an upgrade moves it.

streams/tools/kafka_internals.py is the one module that touches kafka-python's private state; an upgrade
past the release line pinned in pyproject.toml must go through these tests first.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import kafka
from kafka.errors import KafkaConnectionError
from kafka.net.manager import KafkaConnectionManager
from kafka.protocol.metadata import MetadataRequest

from streams.tools.kafka_internals import KNOWN_KAFKA_PYTHON, listed_by_node


def test_kafka_python_is_the_release_line_the_internals_were_read_from() -> None:
    assert kafka.__version__.startswith(f"{KNOWN_KAFKA_PYTHON}."), (
        f"kafka-python {kafka.__version__} is not {KNOWN_KAFKA_PYTHON}.x: check "
        "streams/tools/kafka_internals.py against the new release, then update KNOWN_KAFKA_PYTHON"
    )


def test_the_admin_client_still_keeps_its_connection_manager_where_it_is_used() -> None:
    assert "self._manager = self._client._manager" in inspect.getsource(kafka.KafkaAdminClient.__init__)
    assert list(inspect.signature(KafkaConnectionManager.send).parameters)[:3] == [
        "self",
        "request",
        "node_id",
    ]
    assert list(inspect.signature(KafkaConnectionManager.run).parameters) == ["self", "coro", "args"]
    request = MetadataRequest(
        topics=[MetadataRequest.MetadataRequestTopic(name="t.alerts")], allow_auto_topic_creation=False
    )
    assert [t.name for t in request.topics] == ["t.alerts"]


def _topic(name: str, *leaders: int, error: int = 0) -> SimpleNamespace:
    partitions = [SimpleNamespace(error_code=0, leader_id=leader) for leader in leaders]
    return SimpleNamespace(name=name, error_code=error, partitions=partitions)


class Manager:
    """A stand-in for kafka-python's connection manager: each node answers Metadata from its own view."""

    def __init__(self, views: dict[int, list[SimpleNamespace] | None]) -> None:
        self.views = views  # None: the node does not answer
        self.asked: list[int | None] = []

    def run(self, coro: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        return asyncio.run(coro(*args))

    async def send(self, request: Any, node_id: int | None = None) -> Any:
        self.asked.append(node_id)
        assert isinstance(request, MetadataRequest) and request.allow_auto_topic_creation is False
        view = self.views[node_id if node_id is not None else 1]
        if view is None:
            raise KafkaConnectionError("111 ECONNREFUSED")
        brokers = [SimpleNamespace(node_id=node) for node in self.views]
        wanted = {t.name for t in request.topics}
        return SimpleNamespace(brokers=brokers, topics=[t for t in view if t.name in wanted])


def test_each_node_is_asked_what_it_lists_and_a_silent_one_is_left_out() -> None:
    manager = Manager(
        {
            1: [_topic("t.alerts", 1), _topic("t.hits", 1, 2)],
            2: [_topic("t.alerts", 1), _topic("t.hits", 1, -1)],  # a partition without a leader yet
            3: [_topic("t.alerts", -1, error=3)],  # does not know t.hits, t.alerts unknown still
            4: None,  # killed, not fenced yet
        }
    )
    found = listed_by_node(SimpleNamespace(_manager=manager), ["t.alerts", "t.hits"])  # type: ignore[arg-type]
    assert found == {1: {"t.alerts", "t.hits"}, 2: {"t.alerts"}, 3: set()}
    assert manager.asked == [None, 1, 2, 3, 4]
