"""`citygate incidents`, `lockdowns` and `lift`: the command side's state as its topics hold it, and the
commander's one decision on it."""

from __future__ import annotations

import click

from streams import topics
from streams.cli.common import choice, load_settings, send_command
from streams.domain.commands import LIFT_REASONS


@click.command("incidents")
@click.option("--all", "show_all", is_flag=True, help="Closed incidents too.")
def incidents_command(show_all: bool) -> None:
    """List open incidents (the latest state of each, from the incidents topic)."""
    from streams.tools.kafka_io import read_to_end
    from streams.tools.listings import incident_lines, latest_by_key

    latest = latest_by_key(read_to_end(load_settings(), topics.INCIDENTS))
    lines = list(incident_lines(latest.values(), show_all=show_all))
    for line in lines:
        click.echo(line)
    if not lines:  # on stderr, as `watchlist list` counts: a script reading stdout sees no rows
        click.echo("none: no incidents" if show_all else "none: no open incidents", err=True)


@click.command("lockdowns")
@click.option("--all", "show_all", is_flag=True, help="Lifted lockdowns too.")
def lockdowns_command(show_all: bool) -> None:
    """List active lockdowns: rings closed, points staffed per ring, rings sealed."""
    from streams.tools.kafka_io import read_to_end
    from streams.tools.listings import latest_by_key, lockdown_lines

    latest = latest_by_key(read_to_end(load_settings(), topics.LOCKDOWNS))
    lines = list(lockdown_lines(latest.values(), show_all=show_all))
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("none: no lockdowns" if show_all else "none: no active lockdowns", err=True)


@click.command("lift")
@click.argument("lockdown_id")
@click.option("--reason", required=True, type=choice(LIFT_REASONS))
@click.option("--by", "operator", required=True)
@click.option("--note", default=None)
def lift_command(lockdown_id: str, reason: str, operator: str, note: str | None) -> None:
    """Lift LOCKDOWN_ID (the commander's decision, audited)."""
    send_command(lockdown_id, "lift_lockdown", operator, reason, note)
