"""The one place that names citygate's topics, their keys, partition counts and configs: the public ones, and
the ones Faust keeps for itself (its tables' changelogs and its leader election).

Every topic is created by `citygate topics create` (idempotent), never by the worker on the fly: a typo in a
topic name should fail loudly at start, not create an empty topic nobody writes to; and on a cluster a topic
Faust creates as it starts is not yet listed by the node its consumer asks next.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from streams.settings import Settings

HITS = "anpr.hits"
PATROL_REPORTS = "patrol.reports"
CALLS = "calls.110"
WATCHLIST = "watchlist.entries"
OPERATOR_COMMANDS = "operator.commands"
ALERTS = "alerts"
ALERTS_RESTRICTED = "alerts.restricted"
LOCKDOWNS = "lockdowns"
INCIDENTS = "incidents"
DEADLETTER = "deadletter"
AUDIT = "audit"
# The answer to every operator command (applied, or refused with the reason), keyed by command id: what
# `citygate alert|lift|staff` wait for (streams/worker/command_side/answers.py writes it).
COMMAND_RESULTS = "command.results"
# Who may sign what (issue 15.4): people's public keys and roles, compacted, key: the person's id. Written by
# registry administrators (`citygate operators`), read by every worker (streams/domain/identity/registry.py).
REGISTRY = "operators.registry"
# The HTTP gateway's (streams/gateway/): which vendor camera is which checkpoint, lane and direction
# (compacted, key: vendor:site:camera), the gateways' API keys as digests (compacted, key: the key id), both
# written by gateway administrators and followed by every gateway; and what the cameras' agents say of them
# in their heartbeats (compacted, key: the camera's registry key), written by the gateways.
CAMERAS = "cameras.registry"
GATEWAY_KEYS = "gateway.keys"
CAMERA_STATUS = "cameras.status"
# The forces the desk can send (streams/domain/forces/), managed with `citygate units`.
UNITS = "units.registry"
UNITS_STATE = "units.state"
# What happened to each dispatch of a unit (sent, arrived, released), key: the dispatch id; the log is the
# history response accounting and consoles read (streams/domain/forces/dispatching.py).
DISPATCHES = "dispatches"
# Internal, not a public contract: the clock of the command side. A Faust table may only change inside an
# event, so the workers' timers send ticks through this topic instead of touching state themselves.
TICKS = "ticks"
# What the single-partition command side reads (streams/worker/command_side/router.py has a handler for each;
# the worker subscribes to them, checks they have one partition, counts them and reports their lag).
COMMAND_SIDE = (ALERTS, ALERTS_RESTRICTED, OPERATOR_COMMANDS, CALLS, PATROL_REPORTS, UNITS, TICKS)
# What the command side reads when it checks signatures (streams/worker/command_side/signed_inputs.py).
SIGNED_COMMAND_SIDE = (*COMMAND_SIDE, REGISTRY)
# What Faust's consumer group reads: the watchlist checker and the command side (hits have their own).
FAUST_INPUTS = (WATCHLIST, *SIGNED_COMMAND_SIDE)
# Every topic a worker consumes as input (metrics count each by outcome).
WORKER_INPUTS = (HITS, *FAUST_INPUTS)
# Every topic a worker writes: only the worker may write the alert topics (streams/roles.py).
WORKER_OUTPUTS = (
    ALERTS,
    ALERTS_RESTRICTED,
    INCIDENTS,
    LOCKDOWNS,
    UNITS_STATE,
    DISPATCHES,
    COMMAND_RESULTS,
    AUDIT,
    DEADLETTER,
    TICKS,
)
# Read by every worker for monitoring only (checkpoint health), never dead-lettered by it.
WORKER_MONITORS = (CAMERA_STATUS,)
# What the HTTP gateway and its admin tools use (streams/gateway/).
GATEWAY_TOPICS = (CAMERAS, GATEWAY_KEYS, CAMERA_STATUS)
# Every public topic (and the internal ticks), by logical name.
ALL = (
    HITS,
    PATROL_REPORTS,
    CALLS,
    WATCHLIST,
    OPERATOR_COMMANDS,
    REGISTRY,
    *GATEWAY_TOPICS,
    UNITS,
    *WORKER_OUTPUTS,
)

_DAY_MS = 24 * 3600 * 1000
# The broker stamps the input topics' records with the time it appended them, whatever the producer says:
# which of live matching and the retro-match answers for a hit is decided by that time against the entry's
# (streams/domain/matching/retro.py), and every input time is judged against it
# (streams/domain/timebounds.py), so no producer clock may move either.
BROKER_TIME = {"message.timestamp.type": "LogAppendTime"}
# Configs the code depends on for correctness: `citygate topics create` sets them on existing topics too,
# and a worker refuses to start without them. Others (retention) are defaults an operator may change.
REQUIRED_CONFIGS = frozenset(BROKER_TIME)

# The command side's tables (streams/worker/app.py builds them, one partition each like the topics they are
# built from). Faust backs each with a changelog topic named after the app id, not under the topic prefix.
INCIDENTS_TABLE = "incidents"
LOCKDOWNS_TABLE = "lockdowns"
LOOKOUTS_TABLE = "lookouts"
ALERT_BOOK_TABLE = "alert_book"
# The operators' registry as the command side folded it, and the signature nonces it saw (identity).
REGISTRY_TABLE = "registry"
NONCES_TABLE = "nonces"
# The answers given to operator commands of the last hour, so a command read again is answered the same.
ANSWERS_TABLE = "answers"
UNITS_TABLE = "units"
UNIT_REGISTRY_TABLE = "unit_registry"
TABLES = (
    INCIDENTS_TABLE,
    LOCKDOWNS_TABLE,
    LOOKOUTS_TABLE,
    ALERT_BOOK_TABLE,
    REGISTRY_TABLE,
    NONCES_TABLE,
    ANSWERS_TABLE,
    UNITS_TABLE,
    UNIT_REGISTRY_TABLE,
)
TABLE_PARTITIONS = 1
_TABLE_KEYS = {
    INCIDENTS_TABLE: "incident id",
    LOCKDOWNS_TABLE: "lockdown id",
    LOOKOUTS_TABLE: "entry id",
    ALERT_BOOK_TABLE: "alert id",
    REGISTRY_TABLE: "operator id",
    NONCES_TABLE: "signer and nonce",
    ANSWERS_TABLE: "command id",
    UNITS_TABLE: "unit id",
    UNIT_REGISTRY_TABLE: "unit id",
}


class MissingTopic(RuntimeError):
    """A topic citygate needs is not on the cluster; the message says how to create it."""

    def __init__(self, physical_name: str) -> None:
        super().__init__(f"topic {physical_name!r} does not exist; run `citygate topics create`")
        self.topic = physical_name


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    key: str
    producer: str
    consumer: str
    config: dict[str, str] = field(default_factory=dict)
    internal: bool = False
    # Named by Faust after the app id (`name` is the full name), not a public name under the topic prefix.
    faust_owned: bool = False

    def physical(self, settings: Settings) -> str:
        """The topic's name on the cluster (a public topic's is under the prefix: `Settings.topic`)."""
        return self.name if self.faust_owned else settings.topic(self.name)

    @property
    def required_config(self) -> dict[str, str]:
        """The configs of this topic the code depends on (see REQUIRED_CONFIGS)."""
        return {k: v for k, v in self.config.items() if k in REQUIRED_CONFIGS}


def public_topics(settings: Settings) -> list[TopicSpec]:
    """Every public topic, with the logical (unprefixed) name; see `Settings.topic` for the physical one."""
    hits_retention_ms = _days_ms(settings.hits_retention_days)
    reports = {"retention.ms": _days_ms(settings.reports_retention_days)}
    alerts = {"retention.ms": _days_ms(settings.alerts_retention_days)}
    one_partition_commands = "1 partition: the command side needs one consistent order"
    return [
        TopicSpec(
            HITS,
            settings.hits_partitions,
            "checkpoint id",
            "camera gateways",
            "citygate",
            {"retention.ms": hits_retention_ms, "max.message.bytes": "1048576", **BROKER_TIME},
        ),
        TopicSpec(
            PATROL_REPORTS,
            1,
            "unit id",
            "radio room",
            f"citygate ({one_partition_commands})",
            {**reports, **BROKER_TIME},
        ),
        TopicSpec(
            CALLS,
            1,
            "call id",
            "110 call system",
            f"citygate ({one_partition_commands})",
            {**reports, **BROKER_TIME},
        ),
        TopicSpec(
            WATCHLIST,
            1,
            "entry id",
            "watchlist tools, other agencies",
            "every citygate worker",
            {
                "cleanup.policy": "compact",
                "min.compaction.lag.ms": "0",
                "segment.ms": str(_DAY_MS),
                **BROKER_TIME,
            },
        ),
        TopicSpec(
            OPERATOR_COMMANDS,
            1,
            "target id",
            "operators",
            f"citygate ({one_partition_commands})",
            {**reports, **BROKER_TIME},
        ),
        # Like the watchlist: the last record per person is the registry, read from the beginning by every
        # worker; its broker time dates a revocation, so it must be the broker's.
        TopicSpec(
            REGISTRY,
            1,
            "operator id",
            "registry administrators (citygate operators)",
            "every citygate worker",
            {"cleanup.policy": "compact", "min.compaction.lag.ms": "0", **BROKER_TIME},
        ),
        TopicSpec(
            CAMERAS,
            1,
            "camera key (vendor:site:camera_id)",
            "gateway administrators (citygate cameras)",
            "every citygate gateway",
            {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"},
        ),
        TopicSpec(
            GATEWAY_KEYS,
            1,
            "key id",
            "gateway administrators (citygate gateway key)",
            "every citygate gateway",
            {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"},
        ),
        # The last status per camera is what matters, and a camera gone from the registry must not linger.
        TopicSpec(
            CAMERA_STATUS,
            1,
            "camera key (vendor:site:camera_id)",
            "citygate gateways (OpenALPR heartbeats)",
            "every citygate worker (checkpoint health), dashboards, operations",
            {"cleanup.policy": "compact,delete", "retention.ms": str(7 * _DAY_MS)},
        ),
        # A unit is retired, not deleted (its record stays): the last record per unit is the registry.
        TopicSpec(
            UNITS,
            1,
            "unit id",
            "forces administrators (citygate units)",
            "citygate (the command side's proposals and dispatches), operators' consoles, the simulator",
            {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"},
        ),
        # The latest state per unit is what matters: compacted, like incidents.
        TopicSpec(
            UNITS_STATE,
            1,
            "unit id",
            "citygate",
            "operators' consoles, dashboards",
            {"cleanup.policy": "compact"},
        ),
        # Every dispatch's history (sent, arrived, released) for accounting: kept as long as reports.
        TopicSpec(
            DISPATCHES,
            1,
            "dispatch id",
            "citygate",
            "operators' consoles, dashboards, response accounting (citygate report response)",
            dict(reports),
        ),
        # Alerts are ~0.1% of hits; one partition keeps them co-partitioned with operator.commands, so one
        # worker holds the alert book that operators' decisions apply to.
        TopicSpec(ALERTS, 1, "alert id", "citygate", "operators", dict(alerts)),
        TopicSpec(ALERTS_RESTRICTED, 1, "alert id", "citygate", "privileged operators", dict(alerts)),
        TopicSpec(LOCKDOWNS, 1, "lockdown id", "citygate", "operators, dashboards", dict(alerts)),
        # The latest state per incident is what matters: compacted, like a table.
        TopicSpec(INCIDENTS, 1, "incident id", "citygate", "operators", {"cleanup.policy": "compact"}),
        # The latest answer per command id, kept as long as the commands themselves: compacted (a worker
        # replaying a command writes the same answer again) and deleted after the retention.
        TopicSpec(
            COMMAND_RESULTS,
            1,
            "command id",
            "citygate",
            "operators (the command's sender waits for it), consoles",
            {"cleanup.policy": "compact,delete", **reports},
        ),
        TopicSpec(
            DEADLETTER,
            1,
            "source topic",
            "citygate",
            "operations",
            {"retention.ms": _days_ms(settings.deadletter_retention_days)},
        ),
        TopicSpec(
            AUDIT,
            1,
            "subject",
            "citygate",
            "auditors",
            {"retention.ms": _days_ms(settings.audit_retention_days)},
        ),
        TopicSpec(
            TICKS,
            1,
            "none",
            "every worker's timer",
            "citygate command side",
            {"retention.ms": str(3600 * 1000)},
            internal=True,
        ),
    ]


def changelog_topic(app_id: str, table: str) -> str:
    """The changelog Faust keeps for `table` (faust/tables/base.py `Collection._changelog_topic_name`)."""
    return f"{app_id}-{table}-changelog"


def leader_topic(app_id: str) -> str:
    """The topic Faust's leader election assigns to one worker (faust/assignor/leader_assignor.py)."""
    return f"{app_id}-__assignor-__leader"


def faust_topics(settings: Settings) -> list[TopicSpec]:
    """The topics Faust makes for itself when a worker starts, made up front as Faust would make them: its
    tables' changelogs compacted (`Collection._new_changelog_topic`), the leader topic with no configs; one
    partition each, replicated like every other topic (`topic_replication_factor`)."""
    changelogs = [
        TopicSpec(
            changelog_topic(settings.app_id, table),
            TABLE_PARTITIONS,
            _TABLE_KEYS[table],
            "citygate (Faust table)",
            f"citygate (recovers the {table} table)",
            {"cleanup.policy": "compact"},
            internal=True,
            faust_owned=True,
        )
        for table in TABLES
    ]
    leader = TopicSpec(
        leader_topic(settings.app_id),
        1,
        "none",
        "nobody",
        "Faust (assigned to one worker: its leader)",
        internal=True,
        faust_owned=True,
    )
    return [*changelogs, leader]


def _days_ms(days: float) -> str:
    return str(int(days * _DAY_MS))


def durability(settings: Settings) -> dict[str, str]:
    """What every created topic gets besides its own configs: with `acks=all`, a write is acknowledged once
    all but one replica have it, so one node may be down (a rolling restart) and writes go on, and no
    acknowledged record lives on a single disk (at least 1 with one replica: a development broker)."""
    return {"min.insync.replicas": str(max(1, settings.replication_factor - 1))}


def worker_topics(settings: Settings) -> list[TopicSpec]:
    """Every topic a worker needs on the cluster, as `citygate topics create` makes them: the public ones,
    then Faust's own, each with `durability`."""
    extra = durability(settings)
    return [
        replace(spec, config={**extra, **spec.config})
        for spec in [*public_topics(settings), *faust_topics(settings)]
    ]
