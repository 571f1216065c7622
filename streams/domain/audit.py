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
        "units_dispatched",
        "unit_released",
        # An input refused for who (or who not) stands behind it: unsigned, forged, replayed, unauthorised.
        "refused",
        # An operator command refused for what it asks (an unknown or lifted target, a message off the
        # contract): its signer is not in question, so it is told apart from `refused`.
        "command_refused",
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
    command_id: str | None = None,
) -> dict[str, object]:
    """The `audit` value: one change, who made it, when and why, and where it came from; `command_id` names
    the operator command it answers (its answer on `command.results` has that key)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    digest = hashlib.sha256(f"{source_topic}\x1f{source_partition}\x1f{source_offset}".encode()).hexdigest()
    record: dict[str, object] = {
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
    if command_id is not None:
        record["command_id"] = command_id
    return record


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
        command_id=command.command_id,
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
    action: str = "refused",
    command_id: str | None = None,
) -> dict[str, object]:
    """The audit record of a refused input: who it claimed to be from and why it was refused. `subject`
    is the record's key when it is an identifier (anything else is shown as 'unknown'). `action` is
    `refused` (who stands behind it) or `command_refused` (what an operator command asked)."""
    if action not in ("refused", "command_refused"):
        raise ValueError(f"{action!r} is no refusal")
    return audit_record(
        action=action,
        subject=subject if subject and _IDENTIFIER.fullmatch(subject) and len(subject) <= 64 else "unknown",
        actor=claimed_by or "unknown",
        at=now,
        reason=f"{code}: {detail}",
        source_topic=source_topic,
        source_partition=source_partition,
        source_offset=source_offset,
        after=None,
        now=now,
        command_id=command_id,
    )
