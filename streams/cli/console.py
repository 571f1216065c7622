"""`citygate console`: the live operator view (streams/tools/console)."""

from __future__ import annotations

from datetime import timedelta

import click

from streams.cli.common import load_settings
from streams.tools.console.options import DEFAULT_MAX_ALERTS, parse_duration


def _lookback_option(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("console")
@click.option(
    "--lookback",
    default="2h",
    show_default=True,
    callback=_lookback_option,
    help="Show alerts of this past period (90m, 2h, 1h30m); lockdowns go back at least 4 h 10 m.",
)
@click.option(
    "--max-alerts", type=click.IntRange(1, 500), default=DEFAULT_MAX_ALERTS, show_default=True, help="Rows."
)
@click.option("--once", is_flag=True, help="Read up to the current end, print one frame and exit.")
@click.option(
    "--width", type=click.IntRange(60, 400), default=None, help="Columns (default: the terminal's)."
)
@click.option(
    "--alert",
    "alert_id",
    metavar="ID",
    default=None,
    help="Print this alert in full (its id, or the prefix the list shows) and exit: the matched entry, "
    "actions, sightings, refs, the decision.",
)
def console(
    lookback: timedelta, max_alerts: int, once: bool, width: int | None, alert_id: str | None
) -> None:
    """Live operator view: alerts by priority, open incidents, active lockdowns, input rates (Ctrl-C ends)."""
    from rich.console import Console  # lazy, like run_console: rich costs ~160 ms at import

    from streams.tools.console import ConsoleError, run_console

    settings = load_settings()
    try:
        run_console(settings, lookback, max_alerts, once, console=Console(width=width), alert=alert_id)
    except ConsoleError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C while connecting
