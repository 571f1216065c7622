"""`citygate scenario list|run|verify`: the seed's cases as replayable scenarios."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from streams.cli.common import load_settings
from streams.cli.group import CitygateGroup

if TYPE_CHECKING:
    from streams.tools.scenario import Outcome


class ScenarioName(click.ParamType):
    """A shipped scenario's name: an unknown one is a usage error (exit 2, like a misspelt command) naming
    the closest and every known one."""

    name = "scenario"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from streams.tools.scenarios import UnknownScenario, available

        known = available()
        if value in known:
            return str(value)
        self.fail(str(UnknownScenario(str(value), known)), param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[click.shell_completion.CompletionItem]:
        from click.shell_completion import CompletionItem

        from streams.tools.scenarios import available

        return [CompletionItem(name) for name in available() if name.startswith(incomplete)]


@click.group("scenario", cls=CitygateGroup)
def scenario_group() -> None:
    """The seed's cases as replayable scenarios: list, run (and verify), verify."""


@scenario_group.command("list")
def scenario_list() -> None:
    """The scenarios that ship with citygate."""
    from streams.tools import scenario

    for name in scenario.available():
        click.echo(f"{name:<22} {scenario.load(name)['title']}")


def _print_outcomes(outcomes: Iterable[Outcome], started: datetime, speed: float) -> bool:
    """Print each outcome; whether all were met."""
    from streams.tools.listings import outcome_line

    met = True
    for outcome in outcomes:
        click.echo(outcome_line(outcome, started, speed))
        met = met and outcome.met
    return met


@scenario_group.command("run")
@click.argument("name", type=ScenarioName())
@click.option(
    "--speed", type=float, default=60.0, show_default=True, help="Scenario minutes per real minute."
)
@click.option("--no-verify", is_flag=True, help="Only play the timeline.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds to wait after the last step for every outcome to be met (0: check once).",
)
@click.option(
    "--settle",
    type=click.FloatRange(min=0),
    default=3.0,
    show_default=True,
    help="Seconds to look on for messages that break an exact count once every outcome is met.",
)
def scenario_run(name: str, speed: float, no_verify: bool, wait: float, settle: float) -> None:
    """Play scenario NAME against the running worker(s), then check its expected outcomes as they come."""
    from streams.tools import scenario
    from streams.tools.listings import scenario_finished_line

    spec = scenario.load(name)
    click.echo(f"{spec['title']}  (speed ×{speed:g})")
    run = scenario.ScenarioRun(load_settings(), spec, speed=speed, echo=click.echo)
    try:
        run.play()
    except TimeoutError as exc:  # a step waits for the worker's answer (the drill's lockdown) in vain
        raise click.ClickException(f"scenario {name} stopped: {exc}") from None
    if no_verify:
        click.echo(scenario_finished_line(name, _since(run.started), None))
        return
    # The worker answers the last steps some time after they were sent (a catch-up match on a cluster lands
    # seconds later): check until all is met, for `wait` s at most.
    settings = load_settings()
    outcomes = scenario.await_outcomes(
        lambda: scenario.verify(settings, spec, run.started),
        breakable=scenario.breakable(spec),
        timeout_s=wait,
        settle_s=settle,
    )
    click.echo("outcomes:")
    met = _print_outcomes(outcomes, run.started, speed)
    click.echo(scenario_finished_line(name, _since(run.started), outcomes))
    if not met:
        sys.exit(1)


def _since(started: datetime) -> float:
    return (datetime.now(UTC) - started).total_seconds()


@scenario_group.command("verify")
@click.argument("name", type=ScenarioName())
@click.option("--since-min", type=float, default=120.0, show_default=True, help="Look this far back.")
def scenario_verify(name: str, since_min: float) -> None:
    """Check scenario NAME's expected outcomes against the output topics of the last SINCE_MIN minutes."""
    from streams.tools import scenario

    since = datetime.now(UTC) - timedelta(minutes=since_min)
    outcomes = scenario.verify(load_settings(), scenario.load(name), since)
    if not _print_outcomes(outcomes, since, 60.0):
        sys.exit(1)
