"""Topic administration with kafka-python's admin client (a plain, synchronous client: fine for commands)."""

from __future__ import annotations

from kafka.admin import KafkaAdminClient, NewTopic

from streams.settings import Settings
from streams.topics import COMMAND_SIDE, TopicSpec, public_topics


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


def topic_problems(settings: Settings) -> list[str]:
    """What stops a worker: missing topics, and command-side topics whose partition count is not the one the
    single-partition command side needs (an old `alerts` with 3 partitions, say)."""
    admin = _admin(settings)
    try:
        have = set(admin.list_topics())
        specs = public_topics(settings)
        problems = [
            f"missing topic {settings.topic(s.name)}" for s in specs if settings.topic(s.name) not in have
        ]
        exact = [s for s in specs if s.name in COMMAND_SIDE and settings.topic(s.name) in have]
        if exact:
            described = admin.describe_topics([settings.topic(s.name) for s in exact])
            counts = {str(t["name"]): len(t["partitions"]) for t in described}
            for spec in exact:
                found = counts.get(settings.topic(spec.name))
                if found is not None and found != spec.partitions:
                    problems.append(
                        f"topic {settings.topic(spec.name)} has {found} partitions; the command side needs "
                        f"{spec.partitions} (recreate it, or start afresh with a new CITYGATE_TOPIC_PREFIX)"
                    )
        return problems
    finally:
        admin.close()


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
