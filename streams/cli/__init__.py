"""The `citygate` command: one module per command group, each thin over the tools and the worker.

Settings come from the environment (see streams/settings.py and the README), read when a command runs.
Modules here import only click and light constants at import time; Kafka clients, rich and Faust are
imported by the commands that use them, so `citygate --help` starts fast.
"""

from __future__ import annotations

import click

from streams.cli import (
    acl,
    alerts,
    console,
    lockdowns,
    scenario,
    simulate,
    tail,
    topics,
    topology,
    watchlist,
    worker,
)


@click.group()
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
    scenario.scenario_group,
    simulate.simulate,
    console.console,
    acl.acl_group,
):
    main.add_command(command)
