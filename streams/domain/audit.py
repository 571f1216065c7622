"""Audit records: one change, who made it, when and why, and which input message it came from."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime

from streams.domain.commands import OperatorCommand

_IDENTIFIER = re.compile(r"[A-Za-z0-9._:-]+")
AUDIT_ACTIONS = frozenset(
    {
        "watchlist_upsert",
        "watchlist_delete",
        "alert_accepted",
        "alert_rejected",
        "point_staffed",
        "lockdown_lifted",
        # An input refused for who (or who not) stands behind it: unsigned, forged, replayed, unauthorised.
        "refused",
    }
)


def audit_record(
    *,
    action: str,
    subject: str,
    actor: str,
    at: datetime,
    reason: str | None,
    source_topic: str,
    source_partition: int,
    source_offset: int,
    after: Mapping[str, object] | None,
    now: datetime,
) -> dict[str, object]:
    """The `audit` value: one change, who made it, when and why, and where it came from."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    digest = hashlib.sha256(f"{source_topic}\x1f{source_partition}\x1f{source_offset}".encode()).hexdigest()
    return {
        "schema_version": 1,
        "audit_id": f"au-{digest[:24]}",  # one input message, one audit record, however often replayed
        "action": action,
        "subject": subject,
        "actor": actor[:100] or "unknown",
        "at": at.isoformat(),
        "recorded_at": now.isoformat(),
        "reason": None if reason is None else reason[:1000],
        "source": {"topic": source_topic, "partition": source_partition, "offset": source_offset},
        "after": None if after is None else dict(after),
    }


def command_audit(
    command: OperatorCommand,
    *,
    action: str,
    source_topic: str,
    source_partition: int,
    source_offset: int,
    after: Mapping[str, object] | None,
    now: datetime,
) -> dict[str, object]:
    """The audit record of an operator's command: the operator, the command's time, its reason and note."""
    reason = command.reason_code if not command.note else f"{command.reason_code}: {command.note}"
    return audit_record(
        action=action,
        subject=command.target_id,
        actor=command.operator_id,
        at=command.issued_at,
        reason=reason,
        source_topic=source_topic,
        source_partition=source_partition,
        source_offset=source_offset,
        after=after,
        now=now,
    )


def refusal_audit(
    *,
    subject: str | None,
    claimed_by: str | None,
    code: str,
    detail: str,
    source_topic: str,
    source_partition: int,
    source_offset: int,
    now: datetime,
) -> dict[str, object]:
    """The audit record of a refused input: who it claimed to be from and why it was refused. `subject`
    is the record's key when it is an identifier (anything else is shown as 'unknown')."""
    return audit_record(
        action="refused",
        subject=subject if subject and _IDENTIFIER.fullmatch(subject) and len(subject) <= 64 else "unknown",
        actor=claimed_by or "unknown",
        at=now,
        reason=f"{code}: {detail}",
        source_topic=source_topic,
        source_partition=source_partition,
        source_offset=source_offset,
        after=None,
        now=now,
    )
