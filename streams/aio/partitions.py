"""Which partitions a topic has, asked of the cluster before a process reads it (the worker's followers,
the web console, the gateway). aiokafka only: the gateway, which runs neither Faust nor mode, uses it too."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.settings import Settings
from streams.topics import MissingTopic


async def partitions_of(
    settings: Settings, physical_names: Sequence[str], *, client_id: str
) -> list[TopicPartition]:
    """Every partition of the topics (physical names), topic by topic in the order given, each by number;
    `MissingTopic` for one not on the cluster (or not visible to this principal: the ACLs hide a topic one
    may not describe).

    Asked with the admin client for all topics: a fresh consumer knows no partitions until it has fetched
    metadata, aiokafka's public `topics()` keeps no partitions, and a metadata request naming the topics may
    auto-create them on a cluster that allows it (a typo must fail, not make an empty topic)."""
    admin = AIOKafkaAdminClient(**settings.connection().client_kwargs(), client_id=client_id)
    await admin.start()
    try:
        described = {str(t["topic"]): t for t in await admin.describe_topics()}
    finally:
        await admin.close()
    found: list[TopicPartition] = []
    for name in physical_names:
        topic = described.get(name)
        if topic is None or not topic["partitions"]:
            raise MissingTopic(name)
        found.extend(
            TopicPartition(name, n) for n in sorted(int(p["partition"]) for p in topic["partitions"])
        )
    return found
