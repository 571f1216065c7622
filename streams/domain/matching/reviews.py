"""An operator's decision on an alert: the alert's next version, carrying the review."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from streams.domain.commands import OperatorCommand
from streams.domain.exceptions import InvalidInput

DECISIONS = {"accept_hit": "accepted", "reject_hit": "rejected"}


def review_alert(
    alert: Mapping[str, object], command: OperatorCommand, *, now: datetime
) -> dict[str, object]:
    """The alert's next version, carrying the operator's decision. The same decision again is refused
    (`InvalidInput`): it would change nothing, and the operator is told who decided it first; the other
    decision is a correction and is taken."""
    if alert.get("alert_id") != command.target_id:
        raise ValueError("command applied to another alert")
    decision = DECISIONS[command.command]
    if alert.get("state") == decision:
        first = alert.get("review")
        by = ""
        if isinstance(first, Mapping):
            by = f" (by {first.get('operator_id')} at {first.get('at')})"
        raise InvalidInput("invalid_value", f"alert {command.target_id} is {decision} already{by}")
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
