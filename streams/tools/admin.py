"""Topic administration with kafka-python's admin client (a plain, synchronous client: fine for commands)."""

from __future__ import annotations

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

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
        present = [s for s in specs if settings.topic(s.name) in have]
        for spec, key, value, wanted in _config_drift(admin, settings, present):
            problems.append(
                f"topic {settings.topic(spec.name)} has {key}={value or 'the default'}; citygate needs "
                f"{wanted} (`citygate topics create` sets it)"
            )
        return problems
    finally:
        admin.close()


def _config_drift(
    admin: KafkaAdminClient, settings: Settings, specs: list[TopicSpec]
) -> list[tuple[TopicSpec, str, str | None, str]]:
    """(spec, key, value found, value needed) for every required config an existing topic lacks."""
    checked = [s for s in specs if s.required_config]
    if not checked:
        return []
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, settings.topic(s.name), configs=dict(s.required_config))
        for s in checked
    ]
    described = admin.describe_configs(resources).get("topic", {})
    drift = []
    for spec in checked:
        found = described.get(settings.topic(spec.name), {})
        for key, wanted in spec.required_config.items():
            value = found.get(key, {}).get("value") if isinstance(found.get(key), dict) else found.get(key)
            if value != wanted:
                drift.append((spec, key, None if value is None else str(value), wanted))
    return drift


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
        existing = [spec for spec in specs if spec not in todo]
        return todo, existing
    finally:
        admin.close()


def apply_required_configs(settings: Settings) -> list[tuple[str, str, str]]:
    """Set the required configs (REQUIRED_CONFIGS) that existing topics lack, incrementally (nothing else
    changes); returns (topic, key, value) for each one set."""
    admin = _admin(settings)
    try:
        have = set(admin.list_topics())
        specs = [s for s in public_topics(settings) if settings.topic(s.name) in have]
        drift = _config_drift(admin, settings, specs)
        if not drift:
            return []
        changes: dict[str, dict[str, tuple[str, str]]] = {}
        for spec, key, _, wanted in drift:
            changes.setdefault(settings.topic(spec.name), {})[key] = ("SET", wanted)
        admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs=keys) for name, keys in changes.items()],
            incremental=True,
        )
        return [(settings.topic(spec.name), key, wanted) for spec, key, _, wanted in drift]
    finally:
        admin.close()


def delete_topics(settings: Settings, names: list[str]) -> None:
    admin = _admin(settings)
    try:
        admin.delete_topics(names, timeout_ms=30000)
    finally:
        admin.close()
