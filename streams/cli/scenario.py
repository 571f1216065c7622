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


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    minutes, rest = divmod(round(abs(seconds)), 60)
    return f"{sign}{minutes}:{rest:02d}"


@scenario_group.command("workstations")
@click.option(
    "--calls", type=click.IntRange(1, 100_000), default=600, show_default=True, help="Calls in the day."
)
@click.option("--patrols", type=click.IntRange(0, 1000), default=43, show_default=True)
@click.option("--units-per-workstation", type=click.IntRange(1, 50), default=2, show_default=True)
@click.option(
    "--handling",
    type=click.FloatRange(0, 3600),
    default=60.0,
    show_default=True,
    help="Seconds, call → dispatch.",
)
@click.option(
    "--service", type=click.FloatRange(1, 600), default=25.0, show_default=True, help="Mean minutes on scene."
)
@click.option(
    "--precinct", type=click.FloatRange(100, 20_000), default=2000.0, show_default=True, help="Metres."
)
@click.option("--seed", type=int, default=2022, show_default=True)
def scenario_workstations(
    calls: int,
    patrols: int,
    units_per_workstation: int,
    handling: float,
    service: float,
    precinct: float,
    seed: int,
) -> None:
    """The seed's claim measured: a day of calls answered by road with and without the street
    workstations' own units, per precinct (docs/forces.md, The workstation study). No broker needed."""
    from streams.domain.forces.study import StudySettings, compare
    from streams.topology_file import load_topology

    settings = load_settings()
    study = StudySettings(
        calls=calls,
        patrols=patrols,
        units_per_workstation=units_per_workstation,
        handling_s=handling,
        service_mean_s=service * 60,
        precinct_m=precinct,
        seed=seed,
    )
    start = datetime.now(settings.city_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = compare(load_topology(settings), start, study)
    click.echo(
        f"workstation study: {calls} calls in a day (seed {seed}), {patrols} patrols, "
        f"{units_per_workstation} units per workstation; response = call → first unit on scene, by road"
    )
    header = ("area", "calls", "median with", "without", "sooner", "p90 with", "without", "sooner", "by ws")
    click.echo(f"{header[0]:<10} " + " ".join(f"{h:>11}" for h in header[1:]))
    for row in rows:
        with_ws, without = row.with_workstations, row.without_workstations
        cells = (
            str(row.calls),
            _minutes(with_ws.response_median_s),
            _minutes(without.response_median_s),
            _minutes(row.sooner_s("median")),
            _minutes(with_ws.response_p90_s),
            _minutes(without.response_p90_s),
            _minutes(row.sooner_s("p90")),
            "-" if with_ws.workstation_share is None else f"{with_ws.workstation_share * 100:.1f}%",
        )
        click.echo(f"{row.area:<10} " + " ".join(f"{c:>11}" for c in cells))
    inside = next((r for r in rows if r.area == "precincts"), None)
    sooner = None if inside is None else inside.sooner_s("median")
    if sooner is not None:
        click.echo(
            f"in the workstations' precincts the median call is answered {sooner / 60:.1f} min sooner with "
            "their units (the seed reports 3-5 min); a model's figure: see docs/forces.md"
        )
