"""`citygate units`: the unit registry (the forces the desk can send)."""

from __future__ import annotations

from pathlib import Path

import click

from streams.cli.common import load_settings
from streams.cli.group import CitygateGroup


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
