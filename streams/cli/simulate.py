"""`citygate simulate`: city traffic on the road graph, as hits and patrol and guard reports."""

from __future__ import annotations

from datetime import datetime

import click

from streams.cli.common import load_settings, parse_city_time


def _parse_start(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None or value == "now":
        return None
    try:
        return parse_city_time(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from None


@click.command("simulate")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Share of the city's traffic: 1.0 is ≈14 M hits/day over 3,160 checkpoints (daily profile).",
)
@click.option(
    "--seed",
    type=int,
    default=2022,
    show_default=True,
    help="Same seed, --start, --rate and topology: same messages.",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Simulated seconds per real second.",
)
@click.option(
    "--start",
    callback=_parse_start,
    default=None,
    help="Simulated start, ISO 8601 (no offset: the city's time, CITYGATE_TIMEZONE). Default: now, or "
    "with --speed > 1 and --seconds so that the run ends now.",
)
@click.option("--seconds", type=float, default=None, help="Stop after this many simulated seconds.")
@click.option("--max-hits", type=int, default=None, help="Stop after this many hits.")
@click.option(
    "--watchlist-sample",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Put this many of the simulated cars on the watchlist (ids SIM-WL-…), so alerts show.",
)
@click.option(
    "--topology",
    "topology_path",
    default=None,
    metavar="FILE",
    help="Rings-and-points GeoJSON (default: the worker's: CITYGATE_TOPOLOGY or the synthetic layout).",
)
@click.option(
    "--suspicious-share",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of guard reports that report suspicious activity (each opens an incident).",
)
@click.option(
    "--units-from-registry",
    is_flag=True,
    help="Move the unit registry's patrols and guards (citygate units import) instead of generated ones.",
)
def simulate(
    rate: float,
    seed: int,
    speed: float,
    start: datetime | None,
    seconds: float | None,
    max_hits: int | None,
    watchlist_sample: int,
    topology_path: str | None,
    suspicious_share: float,
    units_from_registry: bool,
) -> None:
    """City traffic on the road graph: hits at every checkpoint a car passes, patrol and guard reports."""
    from streams.tools.simulate.runner import SimulateOptions, run_simulation

    settings = load_settings()
    roster = None
    if units_from_registry:
        from streams.tools.exceptions import AdminError
        from streams.tools.units_admin import read_units

        try:
            roster = tuple(u for u in read_units(settings).values() if u.active)
        except AdminError as error:
            raise click.ClickException(str(error)) from None
        if not roster:
            raise click.ClickException("the unit registry has no active unit: `citygate units import FILE`")

    options = SimulateOptions(
        rate=rate,
        seed=seed,
        speed=speed,
        start=start,
        seconds=seconds,
        max_hits=max_hits,
        watchlist_sample=watchlist_sample,
        topology=topology_path,
        suspicious_share=suspicious_share,
        roster=roster,
    )
    run_simulation(settings, options, click.echo)
