"""`citygate alert accept|reject`: an operator's decision on an alert, sent as an operator command; the
command waits for the worker's answer (docs/operators.md, exit statuses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from streams import topics
from streams.cli.common import answer_options, choice, send_command
from streams.cli.group import CitygateGroup
from streams.domain.commands import ACCEPT_REASONS, REJECT_REASONS
from streams.settings import Settings

# A prefix is looked for among the alerts of the console's default lookback first, then the alert book's.
RECENT = timedelta(hours=2)


@click.group("alert", cls=CitygateGroup)
def alert_group() -> None:
    """Operators' decisions on an alert (sent as operator.commands)."""


def resolve_alert(settings: Settings, given: str) -> str:
    """The alert `given` (a unique prefix, as the console shows it) names: among the alerts of the last 2 h,
    then of the alert book's days (the worker knows no older ones), on each alert topic this principal may
    read."""
    from streams.tools.kafka_io import keys_since
    from streams.tools.targets import resolve

    now = datetime.now(UTC)

    def since(ago: timedelta) -> set[str]:
        since_ms = int((now - ago).timestamp() * 1000)
        return {
            k for t in (topics.ALERTS, topics.ALERTS_RESTRICTED) for k in keys_since(settings, t, since_ms)
        }

    return resolve(given, (since(ago) for ago in (RECENT, timedelta(days=settings.alert_book_days))), "alert")


@alert_group.command("accept")
@click.argument("alert_id")
@click.option("--by", "operator", required=True)
@click.option("--reason", type=choice(ACCEPT_REASONS), default=None)
@click.option("--note", default=None)
@answer_options
def alert_accept(
    alert_id: str, operator: str, reason: str | None, note: str | None, wait_timeout: float, no_wait: bool
) -> None:
    """Accept ALERT_ID (or a unique prefix of it): the hit is the listed vehicle."""
    send_command(
        alert_id,
        "accept_hit",
        operator,
        reason,
        note,
        resolve=resolve_alert,
        wait_timeout=wait_timeout,
        no_wait=no_wait,
    )


@alert_group.command("reject")
@click.argument("alert_id")
@click.option("--by", "operator", required=True)
@click.option("--reason", required=True, type=choice(REJECT_REASONS))
@click.option("--note", default=None)
@answer_options
def alert_reject(
    alert_id: str, operator: str, reason: str, note: str | None, wait_timeout: float, no_wait: bool
) -> None:
    """Reject ALERT_ID (or a unique prefix of it) with a reason code (misread, not the vehicle, ...)."""
    send_command(
        alert_id,
        "reject_hit",
        operator,
        reason,
        note,
        resolve=resolve_alert,
        wait_timeout=wait_timeout,
        no_wait=no_wait,
    )
