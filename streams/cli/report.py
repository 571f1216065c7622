"""`citygate report`: briefing figures from the topics (docs/forces.md, Response accounting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from streams.cli.common import load_settings, parse_city_time, since_option
from streams.cli.group import CitygateGroup


@click.group("report", cls=CitygateGroup)
def report_group() -> None:
    """Briefing reports: figures computed from what the topics hold."""


@report_group.command("response")
@click.option(
    "--since",
    default="24h",
    show_default=True,
    callback=since_option,
    help="The window's start: a time (ISO 8601, city time without an offset) or how long ago (24h, 7d).",
)
@click.option("--until", "until_text", default=None, metavar="TIME", help="The window's end (default: now).")
@click.option(
    "--png",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=Path("response.png"),
    show_default=True,
    help="Where to write the chart.",
)
@click.option("--no-png", is_flag=True, help="Print the table only.")
def report_response(
    since: datetime | timedelta | None, until_text: str | None, png: Path, no_png: bool
) -> None:
    """Response accounting per area (the street workstation nearest each incident) and overall: calls,
    the share handled by workstation units, closure rate, median and p90 response (call received → first
    unit on scene), repeat-call rate; printed as a table and drawn as a PNG chart."""
    from streams.domain.forces.accounting import response_table
    from streams.tools.exceptions import AdminError
    from streams.tools.response_report import draw, read_timelines, table_lines

    now = datetime.now(UTC)
    try:
        until = parse_city_time(until_text) if until_text else now
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {until_text!r}", param_hint="--until") from None
    start = since if isinstance(since, datetime) else until - (since or timedelta(hours=24))
    if start >= until:
        raise click.BadParameter("the window is empty: --since is not before --until", param_hint="--since")
    settings = load_settings()
    try:
        read = read_timelines(settings)
    except AdminError as error:
        raise click.ClickException(str(error)) from None
    rows = response_table(read.timelines, start, until)
    click.echo(
        f"response from {start.isoformat(timespec='seconds')} to {until.isoformat(timespec='seconds')}"
    )
    for line in table_lines(rows):
        click.echo(line)
    if read.unreadable:
        click.echo(f"note: {read.unreadable} incident records could not be read and are left out", err=True)
    if no_png:
        return
    try:
        written = draw(png, rows, start, until)
    except ImportError:
        raise click.ClickException(
            "the chart needs matplotlib: pip install 'citygate[report]' (or pass --no-png)"
        ) from None
    except OSError as error:
        raise click.ClickException(f"cannot write {png}: {error.strerror or error}") from None
    click.echo(f"wrote {written}")
