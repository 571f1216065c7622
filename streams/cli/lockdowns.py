"""`citygate incidents`, `lockdowns`, `lift`, `staff` and `seal`: the command side's state as its topics
hold it, the commander's decision on it, an operator's radio confirmation of a point, and units sent to
seal a ring; the commands wait for the worker's answer (docs/operators.md, exit statuses)."""

from __future__ import annotations

import click

from streams import topics
from streams.cli.common import answer_options, choice, load_settings, send_command, send_commands
from streams.domain.commands import LIFT_REASONS, STAFF_REASONS
from streams.settings import Settings


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


def resolve_lockdown(settings: Settings, given: str) -> str:
    """The lockdown `given` (a unique prefix, as the console shows it) names: an active one, else any."""
    from streams.tools.kafka_io import read_to_end
    from streams.tools.listings import latest_by_key
    from streams.tools.targets import lockdown_tiers, resolve

    return resolve(
        given, lockdown_tiers(latest_by_key(read_to_end(settings, topics.LOCKDOWNS)).values()), "lockdown"
    )


def resolve_point(settings: Settings, given: str) -> str:
    """The point `given` (a unique prefix) names: one an active lockdown still needs staffed, else one it
    needs (staffed already: the worker says so)."""
    import orjson

    from streams.tools.kafka_io import read_to_end
    from streams.tools.targets import point_tiers, resolve

    events = [
        orjson.loads(value) for _, value in read_to_end(settings, topics.LOCKDOWNS) if value is not None
    ]
    return resolve(given, point_tiers(events), "point of an active lockdown")


@click.command("lift")
@click.argument("lockdown_id")
@click.option("--reason", required=True, type=choice(LIFT_REASONS))
@click.option("--by", "operator", required=True)
@click.option("--note", default=None)
@answer_options
def lift_command(
    lockdown_id: str, reason: str, operator: str, note: str | None, wait_timeout: float, no_wait: bool
) -> None:
    """Lift LOCKDOWN_ID, or the one a unique prefix names (the commander's decision, audited)."""
    send_command(
        lockdown_id,
        "lift_lockdown",
        operator,
        reason,
        note,
        resolve=resolve_lockdown,
        wait_timeout=wait_timeout,
        no_wait=no_wait,
    )


@click.command("staff")
@click.argument("point_id")
@click.option("--reason", type=choice(STAFF_REASONS), default=None)
@click.option("--by", "operator", required=True)
@click.option("--note", default=None)
@answer_options
def staff_command(
    point_id: str, reason: str | None, operator: str, note: str | None, wait_timeout: float, no_wait: bool
) -> None:
    """Mark POINT_ID of an active lockdown staffed (a radio confirmation that a unit is there)."""
    send_command(
        point_id,
        "staff_point",
        operator,
        reason,
        note,
        resolve=resolve_point,
        wait_timeout=wait_timeout,
        no_wait=no_wait,
    )


@click.command("seal")
@click.argument("lockdown_id")
@click.option("--ring", type=click.Choice(["core", "urban", "city"]), default=None, help="Only this ring.")
@click.option("--by", "operator", required=True)
@answer_options
def seal_command(
    lockdown_id: str, ring: str | None, operator: str, wait_timeout: float, no_wait: bool
) -> None:
    """Send a unit from the unit registry to every point of LOCKDOWN_ID (or a unique prefix) not staffed
    yet, innermost ring first: one `dispatch` per point, each the nearest available unit by road, applied
    in order. A unit's arrival at its point staffs it. Exits 1 if any point got nobody."""
    import orjson

    from streams.tools.kafka_io import read_to_end
    from streams.tools.targets import TargetError, points_to_seal

    settings = load_settings()
    try:
        full_id = resolve_lockdown(settings, lockdown_id)
    except TargetError as exc:
        raise click.ClickException(str(exc)) from None
    events = [
        orjson.loads(value) for _, value in read_to_end(settings, topics.LOCKDOWNS) if value is not None
    ]
    points = points_to_seal(events, full_id, ring)
    if not points:
        raise click.ClickException(
            f"lockdown {full_id} has no point left to staff{f' in {ring}' if ring else ''}"
        )
    send_commands(
        points,
        "dispatch",
        operator,
        "proposal",
        f"seal {full_id}",
        wait_timeout=wait_timeout,
        no_wait=no_wait,
    )
