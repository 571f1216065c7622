"""Who may do what on the cluster: one table of roles, from which the ACLs, the local secure broker's users,
the Strimzi KafkaUsers and the docs' role table are all generated.

A role lists the public topics (logical names, see streams/topics.py) its principal reads, writes and only
describes, and the consumer groups it uses. `acls(role, principal, settings)` turns a role into Kafka ACL
bindings for one deployment (its topic prefix and app id); everything not granted is denied (the brokers run
the standard authorizer with `allow.everyone.if.no.acl.found=false`).

Only the worker writes the alert topics, which its command side reads back: an alert on them is therefore
the worker's own, and a forger with another role's credentials cannot put one there. The worker's Faust
internal topics (`<app id>-…`: table changelogs, the assignor's leader topic) are granted by prefix, without
CREATE: `citygate topics create`, run by an administrator, creates them with the public ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams import topics
from streams.settings import Settings

# Operations as Kafka names them (AclOperation).
READ, WRITE, DESCRIBE, DESCRIBE_CONFIGS = "READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    job: str  # one line: what a principal of this role is for
    reads: tuple[str, ...] = ()  # logical topics read (and described)
    writes: tuple[str, ...] = ()  # logical topics written (and described)
    describes: tuple[str, ...] = ()  # logical topics only described (end offsets, partitions: rates, lag)
    groups: tuple[str, ...] = ()  # consumer groups, as templates over the app id: "{app}", "{app}-hits"
    describe_groups: bool = False  # may describe every citygate group (lag)
    internal_topics: bool = False  # reads and writes the app's internal topics (`<app id>-` prefix)
    check_configs: bool = (
        False  # may read the configs of the topics it uses (the worker checks them at start)
    )


# The console's topics, the answers to the commands an operator sends (`citygate alert|lift|staff` wait),
# and the units the desk can send.
OPERATOR_READS = (
    topics.ALERTS,
    topics.INCIDENTS,
    topics.LOCKDOWNS,
    topics.COMMAND_RESULTS,
    topics.UNITS,
    topics.UNITS_STATE,
    topics.DISPATCHES,
)
CONSOLE_RATES = (topics.HITS, topics.PATROL_REPORTS, topics.CALLS, topics.DEADLETTER)

ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role(
            "gateway",
            "a camera gateway: writes ANPR hits and camera status; follows the camera registry and its keys",
            reads=(topics.CAMERAS, topics.GATEWAY_KEYS),
            writes=(topics.HITS, topics.CAMERA_STATUS),
        ),
        Role(
            "gateway_admin",
            "registers cameras and manages the gateways' API keys (citygate cameras, citygate gateway key)",
            reads=(topics.CAMERAS, topics.GATEWAY_KEYS),
            writes=(topics.CAMERAS, topics.GATEWAY_KEYS),
        ),
        Role(
            "radio_room", "the radio room: writes patrol and guard reports", writes=(topics.PATROL_REPORTS,)
        ),
        Role("call_centre", "the 110 call system: writes emergency calls", writes=(topics.CALLS,)),
        Role(
            "watchlist_admin",
            "lists and removes watchlist entries, and reads the list back",
            reads=(topics.WATCHLIST,),
            writes=(topics.WATCHLIST,),
        ),
        Role(
            "operator",
            "an operator's console: reads alerts, incidents, lockdowns, answers and units; writes commands",
            reads=OPERATOR_READS,
            writes=(topics.OPERATOR_COMMANDS,),
            describes=CONSOLE_RATES,
        ),
        Role(
            "privileged_operator",
            "an operator cleared for covert entries: also reads alerts.restricted",
            reads=(*OPERATOR_READS, topics.ALERTS_RESTRICTED),
            writes=(topics.OPERATOR_COMMANDS,),
            describes=CONSOLE_RATES,
        ),
        Role(
            "registry_admin",
            "manages the operators' registry (people's keys and roles): reads and writes it",
            reads=(topics.REGISTRY,),
            writes=(topics.REGISTRY,),
        ),
        Role(
            "forces_admin",
            "manages the unit registry (patrols, workstation units, community police, guards)",
            reads=(topics.UNITS,),
            writes=(topics.UNITS,),
        ),
        Role("auditor", "reads the audit trail", reads=(topics.AUDIT,)),
        Role(
            "ops",
            "operations: reads dead letters and camera status, describes every topic and group (lag, health)",
            reads=(topics.DEADLETTER, topics.CAMERA_STATUS),
            describes=tuple(
                name for name in topics.ALL if name not in (topics.DEADLETTER, topics.CAMERA_STATUS)
            ),
            describe_groups=True,
        ),
        Role(
            "worker",
            "a citygate worker: reads every input, writes every output, uses its groups and internal topics",
            reads=(*topics.WORKER_INPUTS, *topics.WORKER_MONITORS),
            writes=topics.WORKER_OUTPUTS,
            groups=("{app}", "{app}-hits"),
            internal_topics=True,
            check_configs=True,
        ),
    )
}


@dataclass(frozen=True, slots=True, order=True)
class Acl:
    """One ALLOW binding: principal may `operation` on the resource (host `*`)."""

    principal: str
    resource_type: str  # TOPIC, GROUP
    pattern_type: str  # LITERAL, PREFIXED
    resource_name: str
    operation: str

    def line(self) -> str:
        return (
            f"{self.principal} ALLOW {self.operation} {self.resource_type.lower()} "
            f"{self.resource_name}{'*' if self.pattern_type == 'PREFIXED' else ''}"
        )


class UnknownRole(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no role {name!r}; the roles are {', '.join(ROLES)}")


def role(name: str) -> Role:
    found = ROLES.get(name)
    if found is None:
        raise UnknownRole(name)
    return found


def acls(found: Role, principal: str, settings: Settings) -> list[Acl]:
    """The ACL bindings that give `principal` exactly `found`'s job in the deployment `settings` names."""
    bindings: set[Acl] = set()

    def topic(name: str, *operations: str, pattern: str = "LITERAL") -> None:
        for operation in operations:
            bindings.add(Acl(principal, "TOPIC", pattern, name, operation))

    for name in found.reads:
        topic(settings.topic(name), READ, DESCRIBE)
    for name in found.writes:
        topic(settings.topic(name), WRITE, DESCRIBE)
    for name in found.describes:
        topic(settings.topic(name), DESCRIBE)
    if found.check_configs:
        for name in (*found.reads, *found.writes):
            topic(settings.topic(name), DESCRIBE_CONFIGS)
    if found.internal_topics:
        topic(f"{settings.app_id}-", READ, WRITE, DESCRIBE, DESCRIBE_CONFIGS, pattern="PREFIXED")
    for template in found.groups:
        bindings.add(Acl(principal, "GROUP", "LITERAL", template.format(app=settings.app_id), READ))
    if found.describe_groups:
        bindings.add(Acl(principal, "GROUP", "PREFIXED", settings.app_id, DESCRIBE))
    return sorted(bindings)


def table() -> str:
    """The role table as Markdown, for docs/security.md (`citygate acl table`; a unit test keeps the two
    equal). Logical topic names and the app id as `<app>`: the table holds for every deployment, whatever
    its prefix."""

    def names(items: tuple[str, ...] | list[str]) -> str:
        return ", ".join(f"`{item}`" for item in items) or "-"

    lines = [
        "| role (user) | its job | reads | writes | only describes | groups and more |",
        "|---|---|---|---|---|---|",
    ]
    for found in ROLES.values():
        more = [f"group `{template.format(app='<app>')}`" for template in found.groups]
        if found.internal_topics:
            more.append("internal topics `<app>-*` (read, write, no create)")
        if found.check_configs:
            more.append("its topics' configs")
        if found.describe_groups:
            more.append("describes groups `<app>*`")
        lines.append(
            f"| `{found.name}` | {found.job} | {names(found.reads)} | {names(found.writes)} "
            f"| {names(found.describes)} | {'; '.join(more) or '-'} |"
        )
    return "\n".join(lines) + "\n"
