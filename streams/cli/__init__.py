"""The `citygate` command: one module per command group, each thin over the tools and the worker.

Settings come from the environment (see streams/settings.py and the README), read when a command runs.
Modules here import only click and light constants at import time; Kafka clients, rich and Faust are
imported by the commands that use them, so `citygate --help` starts fast.
"""

from __future__ import annotations

import os

import click

from streams.cli import (
    acl,
    alerts,
    console,
    deploy,
    gateway,
    lockdowns,
    operators,
    report,
    scenario,
    simulate,
    tail,
    topics,
    topology,
    units,
    watchlist,
    web,
    worker,
)
from streams.cli.group import CitygateGroup


def _use_bootstrap(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        os.environ["KAFKA_BOOTSTRAP"] = value


def _bootstrap_option() -> click.Option:
    """`--bootstrap-server` (Kafka's own tools' flag), on every command: it sets KAFKA_BOOTSTRAP for the
    command, before the settings are read."""
    return click.Option(
        ["--bootstrap-server"],
        metavar="HOST:PORT[,…]",
        expose_value=False,
        is_eager=True,
        callback=_use_bootstrap,
        help="The Kafka brokers (instead of KAFKA_BOOTSTRAP).",
    )


def _with_bootstrap_option(command: click.Command) -> None:
    command.params.append(_bootstrap_option())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_bootstrap_option(sub)


@click.group(cls=CitygateGroup)
@click.version_option(package_name="citygate", message="citygate %(version)s")
def main() -> None:
    """citygate: ANPR hits, reports and 110 calls → alerts and ring-wide lockdowns."""


for command in (
    worker.worker,
    topics.topics_group,
    watchlist.watchlist_group,
    alerts.alert_group,
    tail.tail,
    topology.topology_group,
    lockdowns.incidents_command,
    lockdowns.lockdowns_command,
    lockdowns.lift_command,
    lockdowns.staff_command,
    lockdowns.seal_command,
    scenario.scenario_group,
    simulate.simulate,
    console.console,
    acl.acl_group,
    deploy.deploy_group,
    operators.operators_group,
    gateway.gateway_group,
    gateway.cameras_group,
    units.units_group,
    units.dispatch_command,
    report.report_group,
    web.web,
):
    main.add_command(command)
_with_bootstrap_option(main)
