"""The one place the tools use what kafka-python keeps private, because its public API does not offer it.

- `listed_by_node`: which topics each node's own metadata lists. Metadata reaches each node of a cluster
  on its own, so "created" does not mean "every node lists it" (a consumer that asks a node that does not
  list a topic yet ignores the topic); the admin client sends each request to a node of its own choosing,
  so asking every node takes its connection manager (`KafkaAdminClient._manager`), as kafka-python's own
  `describe_log_dirs` does. kafka-python 3.0 keeps it there.

tests/unit/tools/test_kafka_internals.py fails loudly when an upgrade of kafka-python moves any of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import KafkaConnectionError, NodeNotReadyError
from kafka.protocol.metadata import MetadataRequest

# The release line the private API was read from (pyproject.toml pins kafka-python to it); the test checks it.
KNOWN_KAFKA_PYTHON = "3.0"


def _ready(topic: Any) -> bool:
    """A topic in a metadata response that a client can use: known, with a leader for every partition."""
    return (
        topic.error_code == 0
        and bool(topic.partitions)
        and all(p.error_code == 0 and p.leader_id >= 0 for p in topic.partitions)
    )


def listed_by_node(admin: KafkaAdminClient, names: Sequence[str]) -> dict[int, set[str]]:
    """For every node the cluster metadata lists, the topics of `names` its own metadata lists with a leader
    for every partition (a topic it does not know, or knows without leaders yet, is not listed).

    A node that does not answer (killed, and listed until it is fenced) is left out: it tells no client
    anything, and a restarted node serves requests only once it has caught up with the metadata log. The
    first request, to whichever node kafka-python picks, raises its (retriable) error when that node does
    not answer."""
    manager = admin._manager

    async def ask(node_id: int | None) -> Any:
        request = MetadataRequest(
            topics=[MetadataRequest.MetadataRequestTopic(name=name) for name in names],
            allow_auto_topic_creation=False,
        )
        return await manager.send(request, node_id=node_id)

    nodes = sorted(int(broker.node_id) for broker in manager.run(ask, None).brokers)
    listed: dict[int, set[str]] = {}
    for node in nodes:
        try:
            response = manager.run(ask, node)
        except (KafkaConnectionError, NodeNotReadyError):
            continue
        listed[node] = {str(topic.name) for topic in response.topics if _ready(topic)}
    return listed
