"""`citygate units`: the unit registry (the forces the desk can send)."""

from __future__ import annotations

from pathlib import Path

import click

from streams.cli.common import answer_options, choice, load_settings, send_command
from streams.cli.group import CitygateGroup
from streams.domain.commands import DISPATCH_REASONS, MAX_DISPATCHED_UNITS, RELEASE_REASONS
from streams.settings import Settings


@click.group("units", cls=CitygateGroup)
def units_group() -> None:
    """The unit registry: motor patrols, workstation units, community police, security guards."""


@units_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def units_import(file: Path) -> None:
    """Register the units in FILE (CSV: unit_id, kind, home_workstation, radio_id, capabilities, name);
    all rows or none, each home checked against the topology's workstations and stations. Importing a
    unit again replaces its record (and makes a retired unit active again)."""
    from streams.domain.forces.units import HOME_KINDS
    from streams.tools.exceptions import AdminError
    from streams.tools.registries import ImportRefused
    from streams.tools.spreadsheet_text import TextEncodingError, decode_text
    from streams.tools.units_admin import parse_unit_csv, write_units
    from streams.topology_file import load_topology

    settings = load_settings()
    homes = {p.id for p in load_topology(settings).points.values() if p.kind in HOME_KINDS}
    try:
        text = decode_text(file.read_bytes(), str(file)).text
        units = parse_unit_csv(text, homes)
        count = write_units(settings, units)
    except ImportRefused as refused:
        for defect in refused.defects[:20]:
            click.echo(f"{file}: {defect}", err=True)
        raise click.ClickException(str(refused)) from None
    except (AdminError, TextEncodingError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"registered {count} units from {file}")


@units_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Retired units too.")
def units_list(show_all: bool) -> None:
    """Every active unit (with --all, retired ones too): id, kind, home, capabilities, radio, name."""
    from streams.tools.exceptions import AdminError
    from streams.tools.units_admin import read_units

    try:
        units = read_units(load_settings())
    except AdminError as error:
        raise click.ClickException(str(error)) from None
    for unit_id, unit in sorted(units.items()):
        if not unit.active and not show_all:
            continue
        retired = "  (retired)" if not unit.active else ""
        click.echo(
            f"{unit_id:<20} {unit.kind:<17} {unit.home_workstation:<14} "
            f"{','.join(sorted(unit.capabilities)):<19} {unit.radio_id or '-':<10} {unit.name or ''}{retired}"
        )


@units_group.command("retire")
@click.argument("unit_id")
def units_retire(unit_id: str) -> None:
    """Retire UNIT_ID: it is never proposed again; its record stays for the incidents it served."""
    from streams.tools.exceptions import AdminError
    from streams.tools.units_admin import retire_unit

    try:
        unit, changed = retire_unit(load_settings(), unit_id)
    except AdminError as error:
        raise click.ClickException(str(error)) from None
    if unit is None:
        raise click.ClickException(f"no unit {unit_id!r} is registered (`citygate units list --all`)")
    click.echo(f"retired unit {unit_id}" if changed else f"unit {unit_id} was already retired")


def _place(text: str) -> tuple[float, float]:
    try:
        lon_text, lat_text = text.split(",")
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not LON,LAT (e.g. 119.4312,32.3958)") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise click.BadParameter(f"{text!r} is not a place on Earth (LON,LAT)")
    return lon, lat


@units_group.command("propose")
@click.option("--at", "at_text", metavar="LON,LAT", help="The place to send units to.")
@click.option("--point", "point_id", metavar="ID", help="Or a point of the topology (point-to-point).")
@click.option("--needs", multiple=True, type=click.Choice(["armed", "vehicle", "foot"]), help="Repeatable.")
@click.option("--count", type=click.IntRange(1, 50), default=3, show_default=True)
def units_propose(at_text: str | None, point_id: str | None, needs: tuple[str, ...], count: int) -> None:
    """The units to send to a place: the active, available ones able to do what is needed that reach it
    soonest by road, from the registry and the units' states on units.state (a unit that never reported
    starts at its home workstation)."""
    from datetime import UTC, datetime

    from streams.domain.forces.board import propose
    from streams.domain.forces.travel import RoadGraph
    from streams.tools.exceptions import AdminError
    from streams.tools.units_admin import read_unit_states, read_units
    from streams.topology_file import load_topology

    if (at_text is None) == (point_id is None):
        raise click.UsageError("give the place: --at LON,LAT or --point ID")
    settings = load_settings()
    topology = load_topology(settings)
    if point_id is not None:
        if point_id not in topology.points:
            raise click.ClickException(f"no point {point_id!r} in the topology (`citygate topology`)")
        place = topology.points[point_id].location
    else:
        assert at_text is not None  # noqa: S101 - checked above
        place = _place(at_text)
    try:
        units = read_units(settings)
        states = read_unit_states(settings)
    except AdminError as error:
        raise click.ClickException(str(error)) from None
    homes = {p.id: p.location for p in topology.points.values()}
    proposals = propose(
        units.values(),
        states,
        homes,
        RoadGraph.of(topology),
        place,
        datetime.now(UTC),
        count=count,
        needs=needs,
    )
    if not proposals:
        wanted = f" able to be {', '.join(needs)}" if needs else ""
        raise click.ClickException(f"no active, available unit{wanted} can be sent (`citygate units list`)")
    for rank, proposal in enumerate(proposals, 1):
        minutes, seconds = divmod(round(proposal.journey.travel_s), 60)
        click.echo(
            f"{rank}. {proposal.unit.unit_id:<20} {proposal.unit.kind:<17} {minutes:>3}:{seconds:02d}  "
            f"{proposal.journey.road_m / 1000:6.2f} km by road  {proposal.journey.straight_m / 1000:6.2f} km "
            f"straight  from {proposal.position_from}"
        )


@units_group.command("release")
@click.argument("unit_id")
@click.option("--reason", type=choice(RELEASE_REASONS), default=None, help="Default: task_done.")
@click.option("--by", "operator", required=True)
@click.option("--note", default=None)
@answer_options
def units_release(
    unit_id: str, reason: str | None, operator: str, note: str | None, wait_timeout: float, no_wait: bool
) -> None:
    """Release UNIT_ID from its task: available again (the `release_unit` command, audited)."""
    send_command(unit_id, "release_unit", operator, reason, note, wait_timeout=wait_timeout, no_wait=no_wait)


def resolve_dispatch_target(settings: Settings, given: str) -> str:
    """A point of the topology as typed, else the incident a unique prefix names (an open one first)."""
    from streams import topics
    from streams.tools.kafka_io import read_to_end
    from streams.tools.listings import latest_by_key
    from streams.tools.targets import incident_tiers, resolve
    from streams.topology_file import load_topology

    if given in load_topology(settings).points:
        return given
    records = latest_by_key(read_to_end(settings, topics.INCIDENTS)).values()
    return resolve(given, incident_tiers(records), "incident (or point)")


@click.command("dispatch")
@click.argument("target")
@click.option(
    "--unit",
    "units",
    multiple=True,
    metavar="ID",
    help=f"A unit to send (repeatable, at most {MAX_DISPATCHED_UNITS}); none: the desk's proposal.",
)
@click.option("--reason", type=choice(DISPATCH_REASONS), default=None)
@click.option("--by", "operator", required=True)
@click.option("--note", default=None)
@answer_options
def dispatch_command(
    target: str,
    units: tuple[str, ...],
    reason: str | None,
    operator: str,
    note: str | None,
    wait_timeout: float,
    no_wait: bool,
) -> None:
    """Send units to TARGET: an incident (its id, or a unique prefix) or a point of the topology
    (point-to-point). Without --unit, the incident's proposal goes ("one key"); the answer names the units
    sent and their travel times by road."""
    if len(units) > MAX_DISPATCHED_UNITS:
        raise click.UsageError(f"at most {MAX_DISPATCHED_UNITS} --unit options in one dispatch")
    send_command(
        target,
        "dispatch",
        operator,
        reason or ("operator_choice" if units else "proposal"),
        note,
        resolve=resolve_dispatch_target,
        wait_timeout=wait_timeout,
        no_wait=no_wait,
        units=units,
    )
