"""Topic administration with kafka-python's admin client (a plain, synchronous client: fine for commands)."""

from __future__ import annotations

from kafka.admin import KafkaAdminClient, NewTopic

from streams.settings import Settings
from streams.topics import TopicSpec, public_topics


def _admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        client_id=f"{settings.app_id}-admin",
        request_timeout_ms=15000,
    )


def existing_topics(settings: Settings) -> set[str]:
    admin = _admin(settings)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def missing_topics(settings: Settings) -> list[str]:
    """Physical names of public topics that do not exist yet."""
    have = existing_topics(settings)
    return [
        settings.topic(spec.name) for spec in public_topics(settings) if settings.topic(spec.name) not in have
    ]


def create_topics(settings: Settings) -> tuple[list[TopicSpec], list[TopicSpec]]:
    """Create every public topic that is missing; returns (created, already there). Idempotent."""
    admin = _admin(settings)
    try:
        have = set(admin.list_topics())
        specs = public_topics(settings)
        todo = [spec for spec in specs if settings.topic(spec.name) not in have]
        if todo:
            admin.create_topics(
                [
                    NewTopic(
                        name=settings.topic(spec.name),
                        num_partitions=spec.partitions,
                        replication_factor=settings.replication_factor,
                        topic_configs=spec.config,
                    )
                    for spec in todo
                ],
                timeout_ms=30000,
                wait_for_metadata=True,
            )
        return todo, [spec for spec in specs if spec not in todo]
    finally:
        admin.close()


def delete_topics(settings: Settings, names: list[str]) -> None:
    admin = _admin(settings)
    try:
        admin.delete_topics(names, timeout_ms=30000)
    finally:
        admin.close()
