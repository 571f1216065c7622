"""`citygate alert accept|reject`: an operator's decision on an alert, sent as an operator command."""

from __future__ import annotations

import click

from streams.cli.common import choice, send_command
from streams.cli.group import CitygateGroup
from streams.domain.commands import ACCEPT_REASONS, REJECT_REASONS


@click.group("alert", cls=CitygateGroup)
def alert_group() -> None:
    """Operators' decisions on an alert (sent as operator.commands)."""


@alert_group.command("accept")
@click.argument("alert_id")
@click.option("--by", "operator", required=True)
@click.option("--reason", type=choice(ACCEPT_REASONS), default=None)
@click.option("--note", default=None)
def alert_accept(alert_id: str, operator: str, reason: str | None, note: str | None) -> None:
    """Accept ALERT_ID: the hit is the listed vehicle."""
    send_command(alert_id, "accept_hit", operator, reason, note)


@alert_group.command("reject")
@click.argument("alert_id")
@click.option("--by", "operator", required=True)
@click.option("--reason", required=True, type=choice(REJECT_REASONS))
@click.option("--note", default=None)
def alert_reject(alert_id: str, operator: str, reason: str, note: str | None) -> None:
    """Reject ALERT_ID with a reason code (misread, not the vehicle, ...)."""
    send_command(alert_id, "reject_hit", operator, reason, note)
