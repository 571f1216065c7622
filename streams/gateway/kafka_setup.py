"""What the gateway asks the cluster before it reads or writes: which partitions its topics have."""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.settings import Settings
from streams.topics import MissingTopic


async def partitions_of(settings: Settings, physical_names: list[str]) -> list[TopicPartition]:
    """Every partition of the topics (physical names); `MissingTopic` for one not on the cluster (or not
    visible to this principal: the ACLs hide a topic one may not describe).

    Asked with the admin client: a consumer knows no partitions before it has fetched metadata, and a
    metadata request naming a topic may create it on a cluster that allows that (a typo must fail)."""
    admin = AIOKafkaAdminClient(
        **settings.connection().client_kwargs(), client_id=f"{settings.app_id}-gateway"
    )
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
        found.extend(TopicPartition(name, int(p["partition"])) for p in topic["partitions"])
    return sorted(found)
