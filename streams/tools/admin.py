"""Topic administration with kafka-python's admin client (a plain, synchronous client: fine for commands).

Written for a cluster: each request goes to a node kafka-python picks from the metadata, which may be dead
and not fenced yet, or may not list a topic created a moment ago through another node. So every operation
runs on a new client and is tried again through such states for a while (streams/tools/retries.py) before
it fails with one line (`AdminError`), and creating returns only once every node lists every topic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError, for_code

from streams.settings import Settings
from streams.tools.exceptions import AdminError
from streams.tools.kafka_internals import listed_by_node
from streams.tools.retries import Backoff, NotYetListed, retrying
from streams.topics import (
    SIGNED_COMMAND_SIDE,
    WORKER_INPUTS,
    WORKER_MONITORS,
    WORKER_OUTPUTS,
    TopicSpec,
    worker_topics,
)

T = TypeVar("T")

# How long a request is tried again through a transient state: a killed node stays in the metadata until the
# controller fences it (`broker.session.timeout.ms`, ~6 s on deploy/local's cluster).
BACKOFF = Backoff(budget_s=30.0, first_s=0.2, cap_s=3.0)
# How long creating waits for every node to list what it made (under a second on deploy/local's cluster).
LISTING = Backoff(budget_s=30.0, first_s=0.05, cap_s=1.0)


def _admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        **settings.connection().tool_client_kwargs(),
        client_id=f"{settings.app_id}-admin",
        request_timeout_ms=15000,
    )


def _with_admin(
    settings: Settings, what: str, action: Callable[[KafkaAdminClient], T], backoff: Backoff | None = None
) -> T:
    """`action` on a new admin client, again on another new one (fresh metadata, controller and
    connections) after each transient failure; `AdminError` when it fails for good."""

    def attempt() -> T:
        admin = _admin(settings)
        try:
            return action(admin)
        finally:
            admin.close()

    return retrying(attempt, f"{what} on {settings.kafka_bootstrap}", backoff or BACKOFF)


def _raise_topic_errors(failed: Sequence[tuple[str, int, str | None]], doing: str) -> None:
    """Raise for per-topic error codes of a response: a transient one as kafka-python's error (so it is
    tried again), otherwise an `AdminError` with each reason once and the topics it refused."""
    by_reason: dict[tuple[type[Exception], str], list[str]] = {}
    for name, code, message in failed:
        kind = for_code(code)
        if kind.retriable:
            raise kind(f"{doing} {name}: {message or kind.message}")
        by_reason.setdefault((kind, message or ""), []).append(name)
    if by_reason:
        raise AdminError(
            "; ".join(
                f"cannot {doing} {_some(names)}: {getattr(kind, 'message', kind.__name__)}"
                + (f" ({message})" if message else "")
                for (kind, message), names in by_reason.items()
            )
        )


def _some(names: Sequence[str]) -> str:
    """`a`, `a and b`, or `a and 5 more`: topic names on a line that stays short."""
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]} and {len(names) - 1} more"


def existing_topics(settings: Settings) -> set[str]:
    return _with_admin(settings, "listing topics", lambda admin: set(admin.list_topics()))


def _must_match_partitions(spec: TopicSpec) -> bool:
    """Whether a topic's partition count must be exactly the spec's: the command side's inputs (one order)
    and Faust's own topics (a changelog must have its table's partitions)."""
    return spec.faust_owned or spec.name in SIGNED_COMMAND_SIDE


def topic_problems(settings: Settings) -> list[str]:
    """What stops a worker: missing topics (public or Faust's own), topics whose partition count is not the
    one the code needs (an old `alerts` with 3 partitions, say), and required configs a topic lacks."""
    return _with_admin(settings, "checking topics", lambda admin: _problems(admin, settings))


def _problems(admin: KafkaAdminClient, settings: Settings) -> list[str]:
    have = set(admin.list_topics())
    # Only what a worker reads or writes: the gateway's topics are not its own, and on a secured cluster
    # its principal may not even see them.
    used = {*WORKER_INPUTS, *WORKER_MONITORS, *WORKER_OUTPUTS}
    specs = [s for s in worker_topics(settings) if s.faust_owned or s.name in used]
    problems = [f"missing topic {s.physical(settings)}" for s in specs if s.physical(settings) not in have]
    exact = [s for s in specs if _must_match_partitions(s) and s.physical(settings) in have]
    if exact:
        counts = _partition_counts(admin, [s.physical(settings) for s in exact])
        for spec in exact:
            name = spec.physical(settings)
            if counts[name] == spec.partitions:
                continue
            if spec.faust_owned:
                needs = f"Faust needs {spec.partitions} (a new CITYGATE_APP_ID starts its tables afresh)"
            else:
                needs = (
                    f"the command side needs {spec.partitions} (recreate it, or start afresh with a new "
                    "CITYGATE_TOPIC_PREFIX)"
                )
            problems.append(f"topic {name} has {counts[name]} partitions; {needs}")
    present = [s for s in specs if s.physical(settings) in have]
    for spec, key, value, wanted in _config_drift(admin, settings, present):
        problems.append(
            f"topic {spec.physical(settings)} has {key}={value or 'the default'}; citygate needs "
            f"{wanted} (`citygate topics create` sets it)"
        )
    return problems


def _partition_counts(admin: KafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partitions per topic; a topic the node asked does not know (yet) raises a transient error, never
    counts as 0 partitions."""
    described = admin.describe_topics(names)
    _raise_topic_errors(
        [(str(t["name"]), int(t["error_code"]), None) for t in described if t["error_code"]], "describe"
    )
    counts = {str(t["name"]): len(t["partitions"]) for t in described}
    missing = [name for name in names if name not in counts]
    if missing:
        raise UnknownTopicOrPartitionError(f"not described: {', '.join(missing)}")
    return counts


def _config_drift(
    admin: KafkaAdminClient, settings: Settings, specs: list[TopicSpec]
) -> list[tuple[TopicSpec, str, str | None, str]]:
    """(spec, key, value found, value needed) for every required config an existing topic lacks."""
    checked = [s for s in specs if s.required_config]
    if not checked:
        return []
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, s.physical(settings), configs=dict(s.required_config))
        for s in checked
    ]
    described = admin.describe_configs(resources).get("topic", {})
    drift = []
    for spec in checked:
        found = described.get(spec.physical(settings), {})
        for key, wanted in spec.required_config.items():
            value = found.get(key, {}).get("value") if isinstance(found.get(key), dict) else found.get(key)
            if value != wanted:
                drift.append((spec, key, None if value is None else str(value), wanted))
    return drift


def create_topics(settings: Settings) -> tuple[list[TopicSpec], list[TopicSpec]]:
    """Create every topic a worker needs that is missing (the public ones and Faust's own); returns
    (created, already there). Idempotent, on a cluster too: a topic the node asked does not list yet but
    that exists is already there, and it returns only once every node lists every topic."""
    specs = worker_topics(settings)
    created: set[str] = set()

    def create_missing(admin: KafkaAdminClient) -> None:
        have = set(admin.list_topics())
        todo = [s for s in specs if s.physical(settings) not in have | created]
        if not todo:
            return
        response = admin.create_topics(
            {
                s.physical(settings): {
                    "num_partitions": s.partitions,
                    "replication_factor": settings.replication_factor,
                    "configs": s.config,
                }
                for s in todo
            },
            timeout_ms=30000,
            raise_errors=False,
        )
        failed = []
        for topic in response["topics"]:
            code = int(topic["error_code"])
            if code == 0:
                created.add(str(topic["name"]))
            # Already there: listed by another node than the one asked, or made by a worker meanwhile.
            elif code != TopicAlreadyExistsError.errno:
                failed.append((str(topic["name"]), code, topic.get("error_message")))
        _raise_topic_errors(failed, "create")

    _with_admin(settings, "creating topics", create_missing)
    wait_until_listed(settings, [s.physical(settings) for s in specs])
    return (
        [s for s in specs if s.physical(settings) in created],
        [s for s in specs if s.physical(settings) not in created],
    )


def wait_until_listed(settings: Settings, names: Sequence[str], *, listed: bool = True) -> None:
    """Return once every node of the cluster lists every topic of `names` with a leader for each partition
    (a client that asks a node that does not list a topic yet takes it for missing), or with `listed=False`
    once none lists any; `AdminError` naming what is still there or not after `LISTING.budget_s`."""

    state = "lacks" if listed else "still lists"

    def every_node_agrees(admin: KafkaAdminClient) -> None:
        lagging = [
            f"node {node} {state} {_some(wrong)}"
            for node, has in sorted(listed_by_node(admin, names).items())
            if (wrong := [name for name in names if (name in has) != listed])
        ]
        if lagging:
            raise NotYetListed("; ".join(lagging))

    doing = f"waiting for every node to {'list' if listed else 'drop'} the topics"
    _with_admin(settings, doing, every_node_agrees, LISTING)


def apply_required_configs(settings: Settings) -> list[tuple[str, str, str]]:
    """Set the required configs (REQUIRED_CONFIGS) that existing topics lack, incrementally (nothing else
    changes); returns (topic, key, value) for each one set."""
    return _with_admin(settings, "setting topic configs", lambda admin: _apply_configs(admin, settings))


def _apply_configs(admin: KafkaAdminClient, settings: Settings) -> list[tuple[str, str, str]]:
    have = set(admin.list_topics())
    specs = [s for s in worker_topics(settings) if s.physical(settings) in have]
    drift = _config_drift(admin, settings, specs)
    if not drift:
        return []
    changes: dict[str, dict[str, tuple[str, str]]] = {}
    for spec, key, _, wanted in drift:
        changes.setdefault(spec.physical(settings), {})[key] = ("SET", wanted)
    results: dict[str, Any] = admin.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, configs=keys) for name, keys in changes.items()],
        incremental=True,
    ).get("topic", {})
    refused = {name: result for name, result in results.items() if result != "OK"}
    if refused:
        raise AdminError("; ".join(f"cannot set configs of {name}: {why}" for name, why in refused.items()))
    return [(spec.physical(settings), key, wanted) for spec, key, _, wanted in drift]


def delete_topics(settings: Settings, names: list[str]) -> None:
    """Delete the topics (physical names) that exist, and return once no node lists any of them; one
    already gone is no error."""

    def delete(admin: KafkaAdminClient) -> None:
        response = admin.delete_topics(names, timeout_ms=30000, raise_errors=False)
        failed = [
            (str(t["name"]), int(t["error_code"]), t.get("error_message"))
            for t in response["topics"]
            if t["error_code"] not in (0, UnknownTopicOrPartitionError.errno)
        ]
        _raise_topic_errors(failed, "delete")

    if names:
        _with_admin(settings, "deleting topics", delete)
        wait_until_listed(settings, names, listed=False)
