"""Operators' commands (`operator.commands`): accept or reject an alert (hit acceptance, as ANPR hotlist
systems call it), staff a point, lift a lockdown. `parse_command` checks one message; what a command does
is the matching side's (`matching/reviews.py`) or the incident side's (`incidents/lifecycle.py`).
"""

from __future__ import annotations

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
STAFF_REASONS = frozenset({"radio_confirmed", "other"})
LIFT_REASONS = frozenset({"situation_resolved", "false_alarm", "other"})
LOCKDOWN_REASONS = STAFF_REASONS | LIFT_REASONS
# The reason codes each command may carry (the schema's enum is their union).
REASONS = {
    "accept_hit": ACCEPT_REASONS,
    "reject_hit": REJECT_REASONS,
    "staff_point": STAFF_REASONS,
    "lift_lockdown": LIFT_REASONS,
}

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
    reasons = REASONS[command]
    reason_code = None if msg.get("reason_code") is None else fields.choice(msg, "reason_code", reasons)
    if command in ("reject_hit", "lift_lockdown") and reason_code is None:
        raise InvalidInput("missing_field", f"a {command} needs a reason_code")
    note = fields.optional_nullable_text(msg, "note", min_len=0, max_len=500)
    return OperatorCommand(command_id, command, target_id, operator_id, issued_at, reason_code, note)
