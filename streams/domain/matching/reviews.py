"""An operator's decision on an alert: the alert's next version, carrying the review."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from streams.domain.commands import OperatorCommand

DECISIONS = {"accept_hit": "accepted", "reject_hit": "rejected"}


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
