"""`citygate topology generate|check`: the rings-and-points GeoJSON."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

from streams.cli.group import CitygateGroup


@click.group("topology", cls=CitygateGroup)
def topology_group() -> None:
    """The rings and points: generate the synthetic default, check a deployment's file."""


@topology_group.command("generate")
@click.option("--seed", type=int, default=2022, show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def topology_generate(seed: int, output: Any) -> None:
    """Write the synthetic Yangzhou layout (seed's counts) as GeoJSON."""
    from streams.domain.geography.layout import generate_topology

    output.write(orjson.dumps(generate_topology(seed), option=orjson.OPT_INDENT_2).decode() + "\n")


@topology_group.command("check")
@click.argument("geojson", metavar="FILE")
def topology_check(geojson: str) -> None:
    """Check a deployment's topology FILE; print every problem found."""
    import time

    from streams.tools.listings import topology_summary
    from streams.topology_file import TopologyFileError, read_topology_file

    started = time.monotonic()
    try:
        topology = read_topology_file(geojson)
    except TopologyFileError as exc:
        for problem in exc.problems:
            click.echo(f"{geojson}: {problem}", err=True)
        sys.exit(1)
    click.echo(f"{geojson}: ok ({time.monotonic() - started:.2f} s): {topology_summary(topology)}")
