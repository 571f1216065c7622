"""Strimzi custom resources (kafka.strimzi.io/v1, Strimzi 1.2) for one deployment: a KafkaTopic per
topic a worker needs and a KafkaUser per role.

A topic's resource says exactly what `citygate topics create` would make (streams/topics.py
`worker_topics`: partitions, the replication factor, every config including `min.insync.replicas`), so the
Topic Operator and the CLI agree on every cluster. A user's ACLs are exactly `streams.roles.acls` for the
principal Strimzi derives from the resource's name (`User:<name>`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from streams import topics
from streams.roles import ROLES, Acl, Role, acls
from streams.settings import Settings

API_VERSION = "kafka.strimzi.io/v1"
CLUSTER_LABEL = "strimzi.io/cluster"
PART_OF = {"app.kubernetes.io/part-of": "citygate"}

# Kafka's names (streams/roles.py) → Strimzi's (AclRule `operations`, `resource.type`, `patternType`).
_OPERATIONS = {
    "READ": "Read",
    "WRITE": "Write",
    "DESCRIBE": "Describe",
    "DESCRIBE_CONFIGS": "DescribeConfigs",
}
_RESOURCES = {"TOPIC": "topic", "GROUP": "group"}
_PATTERNS = {"LITERAL": "literal", "PREFIXED": "prefix"}
# A Kubernetes object name (a DNS subdomain, RFC 1123): what metadata.name may be.
_OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


class NotAnObjectName(ValueError):
    """A topic or user name that no Kubernetes object can carry, even lower-cased with `-` for `_`."""


def object_name(name: str) -> str:
    """`name` as a Kubernetes object name: Faust's topics (`<app>-alert_book-changelog`,
    `<app>-__assignor-__leader`) and some roles (`radio_room`) hold `_`, which no object name may; the topic
    keeps its real name in `spec.topicName`, a user is known to Kafka by the object's name."""
    candidate = name.lower().replace("_", "-").strip("-")
    candidate = re.sub(r"-{2,}", "-", candidate)
    if not _OBJECT_NAME.fullmatch(candidate):
        raise NotAnObjectName(f"{name!r} cannot be a Kubernetes object name (tried {candidate!r})")
    return candidate


def user_name(role: Role, settings: Settings) -> str:
    """The Kafka user of `role` on Kubernetes: under the deployment's topic prefix, so several cities on one
    cluster each have their own users (`yz.worker`), with `-` for `_` (Strimzi names the user after the
    object)."""
    return object_name(f"{settings.topic_prefix}{role.name}")


def kafka_topic(spec: topics.TopicSpec, settings: Settings, cluster: str) -> dict[str, Any]:
    physical = spec.physical(settings)
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaTopic",
        "metadata": {
            "name": object_name(physical),
            "labels": {CLUSTER_LABEL: cluster, **PART_OF},
        },
        "spec": {
            "topicName": physical,
            "partitions": spec.partitions,
            "replicas": settings.replication_factor,
            "config": dict(sorted(spec.config.items())),
        },
    }


def kafka_topics(settings: Settings, cluster: str) -> list[dict[str, Any]]:
    """Every topic a worker needs (public, then Faust's), sorted by object name: a stable file."""
    resources = [kafka_topic(spec, settings, cluster) for spec in topics.worker_topics(settings)]
    return sorted(resources, key=lambda resource: str(resource["metadata"]["name"]))


def acl_rules(bindings: list[Acl]) -> list[dict[str, Any]]:
    """Strimzi's `authorization.acls`: one rule per resource with its operations, sorted."""
    by_resource: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for acl in bindings:
        by_resource[(acl.resource_type, acl.resource_name, acl.pattern_type)].add(acl.operation)
    return [
        {
            "resource": {"type": _RESOURCES[kind], "name": name, "patternType": _PATTERNS[pattern]},
            "operations": sorted(_OPERATIONS[operation] for operation in operations),
            "host": "*",
        }
        for (kind, name, pattern), operations in sorted(by_resource.items())
    ]


def kafka_user(role: Role, settings: Settings, cluster: str) -> dict[str, Any]:
    name = user_name(role, settings)
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaUser",
        "metadata": {
            "name": name,
            "labels": {CLUSTER_LABEL: cluster, "citygate.io/role": object_name(role.name), **PART_OF},
            "annotations": {"citygate.io/job": role.job},
        },
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acl_rules(acls(role, f"User:{name}", settings))},
        },
    }


def kafka_users(settings: Settings, cluster: str) -> list[dict[str, Any]]:
    """One user per role of streams/roles.py, sorted by name."""
    return [kafka_user(ROLES[name], settings, cluster) for name in sorted(ROLES)]


def bindings_of(user: dict[str, Any]) -> set[Acl]:
    """A KafkaUser's ACLs back in streams/roles.py's terms: what the tests compare with `acls`."""
    operations = {strimzi: kafka for kafka, strimzi in _OPERATIONS.items()}
    resources = {strimzi: kafka for kafka, strimzi in _RESOURCES.items()}
    patterns = {strimzi: kafka for kafka, strimzi in _PATTERNS.items()}
    principal = f"User:{user['metadata']['name']}"
    return {
        Acl(
            principal,
            resources[rule["resource"]["type"]],
            patterns[rule["resource"]["patternType"]],
            rule["resource"]["name"],
            operations[operation],
        )
        for rule in user["spec"]["authorization"]["acls"]
        for operation in rule["operations"]
    }
