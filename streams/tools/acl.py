"""ACLs on the cluster for citygate's roles (streams/roles.py), with kafka-python's admin client.

`apply` is idempotent: it reads the principal's ACLs first, creates only the missing ones, and reports what
it created, what was already there, and what the principal has beyond its role (left alone: another tool may
own those; `citygate acl plan` shows what the role needs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)
from kafka.errors import KafkaError

from streams.roles import Acl
from streams.settings import Settings


class AclError(RuntimeError):
    """The cluster refused or could not take the ACLs; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Applied:
    created: list[Acl]
    present: list[Acl]
    beyond: list[Acl]  # the principal's ACLs that its role does not need


def _admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        **settings.connection().tool_client_kwargs(),
        client_id=f"{settings.app_id}-acl",
        request_timeout_ms=15000,
    )


def _kafka(acl: Acl) -> ACL:
    return ACL(
        principal=acl.principal,
        host="*",
        operation=ACLOperation[acl.operation],
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(
            ResourceType[acl.resource_type], acl.resource_name, ACLResourcePatternType[acl.pattern_type]
        ),
    )


def _ours(acl: ACL) -> Acl | None:
    """An ACL read from the cluster as ours, or None for a DENY or a host-bound one (never ours)."""
    if acl.permission_type != ACLPermissionType.ALLOW or acl.host != "*":
        return None
    pattern = acl.resource_pattern
    return Acl(
        acl.principal,
        pattern.resource_type.name,
        pattern.pattern_type.name,
        pattern.resource_name,
        acl.operation.name,
    )


def principal_acls(admin: KafkaAdminClient, principal: str) -> set[Acl]:
    every_resource = ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY)
    found, _ = admin.describe_acls(
        ACLFilter(principal, "*", ACLOperation.ANY, ACLPermissionType.ANY, every_resource)
    )
    return {ours for acl in found if (ours := _ours(acl)) is not None}


def apply(settings: Settings, wanted: Sequence[Acl]) -> Applied:
    """Create the missing ones of `wanted` (one or more principals'); `AclError` when the cluster says no."""
    admin = _admin(settings)
    try:
        existing: set[Acl] = set()
        for principal in sorted({acl.principal for acl in wanted}):
            existing |= principal_acls(admin, principal)
        missing = [acl for acl in wanted if acl not in existing]
        if missing:
            result = admin.create_acls([_kafka(acl) for acl in missing])
            if result["failed"]:
                raise AclError(f"the cluster refused {len(result['failed'])} ACLs: {result['failed'][0]!r}")
        return Applied(
            created=missing,
            present=[acl for acl in wanted if acl in existing],
            beyond=sorted(existing - set(wanted)),
        )
    except KafkaError as exc:
        raise AclError(
            f"cannot set ACLs at {settings.kafka_bootstrap}: {exc} "
            "(it takes a principal allowed to ALTER the cluster, and the brokers' authorizer on)"
        ) from None
    finally:
        admin.close()
