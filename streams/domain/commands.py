"""Operators' commands (`operator.commands`): accept or reject an alert (hit acceptance, as ANPR hotlist
systems call it), staff a point, lift a lockdown, dispatch units to an incident or a point and release a
unit. `check_command` checks one decoded message; what a command does is the matching side's
(`matching/reviews.py`), the incident side's (`incidents/`) or the forces' (`forces/dispatching.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.domain.timebounds import TIMELESS, TimeBounds, check_time

COMMANDS = frozenset({"accept_hit", "reject_hit", "staff_point", "lift_lockdown", "dispatch", "release_unit"})
ACCEPT_REASONS = frozenset({"confirmed_visually", "vehicle_stopped", "other"})
REJECT_REASONS = frozenset(
    {"misread", "not_the_vehicle", "already_handled", "entry_outdated", "duplicate", "other"}
)
# staff_point: an operator marks a point staffed (radio confirmation); lift_lockdown: the commander lifts it.
STAFF_REASONS = frozenset({"radio_confirmed", "other"})
LIFT_REASONS = frozenset({"situation_resolved", "false_alarm", "other"})
LOCKDOWN_REASONS = STAFF_REASONS | LIFT_REASONS
# dispatch: the desk's proposal sent as it stands ("one key"), or units the operator chose; release_unit:
# a unit back to available, its task done or called off.
DISPATCH_REASONS = frozenset({"proposal", "operator_choice", "other"})
RELEASE_REASONS = frozenset({"task_done", "called_off", "other"})
MAX_DISPATCHED_UNITS = 8  # units one dispatch command may name
# The reason codes each command may carry (the schema's enum is their union).
REASONS = {
    "accept_hit": ACCEPT_REASONS,
    "reject_hit": REJECT_REASONS,
    "staff_point": STAFF_REASONS,
    "lift_lockdown": LIFT_REASONS,
    "dispatch": DISPATCH_REASONS,
    "release_unit": RELEASE_REASONS,
}


@dataclass(frozen=True, slots=True)
class OperatorCommand:
    command_id: str
    command: str
    target_id: str
    operator_id: str
    issued_at: datetime
    reason_code: str | None
    note: str | None
    units: tuple[str, ...] = ()  # dispatch: the units named (none: the desk's proposal)


class CommandFields(Protocol):
    """An `operator.commands` message as decoded: every field typed and bounded by the schema."""

    @property
    def command_id(self) -> str: ...
    @property
    def command(self) -> str: ...
    @property
    def target_id(self) -> str: ...
    @property
    def operator_id(self) -> str: ...
    @property
    def issued_at(self) -> str: ...
    @property
    def reason_code(self) -> str | None: ...
    @property
    def note(self) -> str | None: ...
    @property
    def units(self) -> Sequence[str] | None: ...


def check_command(
    key: str | None, message: CommandFields, *, ref: datetime | None = None, bounds: TimeBounds = TIMELESS
) -> OperatorCommand:
    """What a schema cannot say simply about a decoded command: its key (the target id), its time against
    `ref` (when it reached Kafka: a command an hour old is stale), and the reasons its command may carry
    (a reject and a lift need one). Raises `InvalidInput`."""
    if key != message.target_id:
        raise InvalidInput(
            "key_mismatch", f"message key {key!r} differs from target_id {message.target_id!r}"
        )
    issued_at = fields.moment(message.issued_at, "issued_at")
    if ref is not None:
        check_time(issued_at, "issued_at", ref=ref, max_age=bounds.command_max_age, max_ahead=bounds.max_skew)
    command, reason_code = message.command, message.reason_code
    if reason_code is not None and reason_code not in REASONS[command]:
        allowed = ", ".join(sorted(REASONS[command]))
        raise InvalidInput("invalid_value", f"field 'reason_code' of a {command} must be one of {allowed}")
    if command in ("reject_hit", "lift_lockdown") and reason_code is None:
        raise InvalidInput("missing_field", f"a {command} needs a reason_code")
    units = tuple(message.units or ())
    if units and command != "dispatch":
        raise InvalidInput("invalid_value", f"field 'units' belongs to a dispatch, not a {command}")
    if len(set(units)) != len(units):
        raise InvalidInput("invalid_value", "field 'units' names one unit twice")
    return OperatorCommand(
        message.command_id,
        command,
        message.target_id,
        message.operator_id,
        issued_at,
        reason_code,
        message.note,
        units,
    )
