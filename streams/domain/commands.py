"""Operators accept or reject an alert (hit acceptance, as ANPR hotlist systems call it).

`parse_command` checks an `operator.commands` message; `review_alert` applies an accept/reject to the last
version of the alert and gives the new version, `audit_record` says who did what, when and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from streams.domain import fields
from streams.domain.exceptions import InvalidInput

COMMANDS = frozenset({"accept_hit", "reject_hit", "staff_point", "lift_lockdown"})
ACCEPT_REASONS = frozenset({"confirmed_visually", "vehicle_stopped", "other"})
REJECT_REASONS = frozenset(
    {"misread", "not_the_vehicle", "already_handled", "entry_outdated", "duplicate", "other"}
)
# staff_point: an operator marks a point staffed (radio confirmation); lift_lockdown: the commander lifts it.
LOCKDOWN_REASONS = frozenset({"radio_confirmed", "situation_resolved", "false_alarm", "other"})
DECISIONS = {"accept_hit": "accepted", "reject_hit": "rejected"}

_REQUIRED = ("schema_version", "command_id", "command", "target_id", "operator_id", "issued_at")
_ALLOWED = frozenset(_REQUIRED) | {"reason_code", "note"}


@dataclass(frozen=True, slots=True)
class OperatorCommand:
    command_id: str
    command: str
    target_id: str
    operator_id: str
    issued_at: datetime
    reason_code: str | None
    note: str | None


def parse_command(key: str | None, obj: object) -> OperatorCommand:
    msg = fields.as_object(obj, "an operator.commands message")
    fields.check_keys(msg, _REQUIRED, _ALLOWED)
    fields.schema_version(msg)
    command_id = fields.text(msg, "command_id", max_len=64, pattern=fields.IDENTIFIER)
    command = fields.choice(msg, "command", COMMANDS)
    target_id = fields.text(msg, "target_id", max_len=64, pattern=fields.IDENTIFIER)
    if key is not None and key != target_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from target_id {target_id!r}")
    operator_id = fields.text(msg, "operator_id", max_len=100)
    issued_at = fields.timestamp(msg, "issued_at")
    reasons = {"accept_hit": ACCEPT_REASONS, "reject_hit": REJECT_REASONS}.get(command, LOCKDOWN_REASONS)
    reason_code = None if msg.get("reason_code") is None else fields.choice(msg, "reason_code", reasons)
    if command in ("reject_hit", "lift_lockdown") and reason_code is None:
        raise InvalidInput("missing_field", f"a {command} needs a reason_code")
    note = fields.optional_nullable_text(msg, "note", min_len=0, max_len=500)
    return OperatorCommand(command_id, command, target_id, operator_id, issued_at, reason_code, note)


def review_alert(
    alert: Mapping[str, object], command: OperatorCommand, *, now: datetime
) -> dict[str, object]:
    """The alert's next version, carrying the operator's decision."""
    if alert.get("alert_id") != command.target_id:
        raise ValueError("command applied to another alert")
    reviewed = dict(alert)
    reviewed["state"] = DECISIONS[command.command]
    reviewed["created_at"] = now.isoformat()
    reviewed["review"] = {
        "decision": DECISIONS[command.command],
        "reason_code": command.reason_code,
        "operator_id": command.operator_id,
        "at": command.issued_at.isoformat(),
        "command_id": command.command_id,
        "note": command.note,
    }
    return reviewed


AUDIT_ACTIONS = frozenset(
    {
        "watchlist_upsert",
        "watchlist_delete",
        "alert_accepted",
        "alert_rejected",
        "point_staffed",
        "lockdown_lifted",
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
