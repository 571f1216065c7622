"""The `citygate` command: worker, topics, watchlist, tail, demo feed.

Settings come from the environment (see streams/settings.py and the README), read when a command runs.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import orjson

from streams import topics
from streams.settings import Settings, SettingsError
from streams.tools.console import DEFAULT_MAX_ALERTS


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def main() -> None:
    """citygate: ANPR hits, reports and 110 calls → alerts and ring-wide lockdowns."""


@main.command()
@click.option(
    "--loglevel", "-l", default=None, help="debug, info, warning, error (default CITYGATE_LOG_LEVEL)."
)
def worker(loglevel: str | None) -> None:
    """Run a stream-processing worker (Faust) until stopped."""
    from faust.worker import Worker

    from streams.tools.admin import topic_problems
    from streams.worker.app import build_app

    settings = _settings()
    problems = topic_problems(settings)
    if problems:
        raise click.ClickException("; ".join(problems) + " (`citygate topics create` creates missing ones)")
    citygate = build_app(settings)
    Worker(citygate.app, loglevel=loglevel or settings.log_level, quiet=True).execute_from_commandline()


@main.group("topics")
def topics_group() -> None:
    """Create and list citygate's public topics."""


@topics_group.command("create")
def topics_create() -> None:
    """Create every public topic that does not exist yet (idempotent); check the ones that do."""
    from streams.tools.admin import create_topics, topic_problems

    settings = _settings()
    created, existing = create_topics(settings)
    for spec in created:
        click.echo(f"created  {settings.topic(spec.name)} ({spec.partitions} partitions)")
    for spec in existing:
        click.echo(f"exists   {settings.topic(spec.name)}")
    problems = topic_problems(settings)
    if problems:
        raise click.ClickException("; ".join(problems))


@topics_group.command("list")
def topics_list() -> None:
    """List the public topics: key, partitions, who writes and reads them, and whether they exist."""
    from streams.tools.admin import existing_topics

    settings = _settings()
    have = existing_topics(settings)
    for spec in topics.public_topics(settings):
        name = settings.topic(spec.name)
        state = "ok" if name in have else "MISSING"
        click.echo(
            f"{name:<28} {state:<8} {spec.partitions:>3}p  key={spec.key:<14} "
            f"{spec.producer} → {spec.consumer}"
        )


@main.group("watchlist")
def watchlist_group() -> None:
    """Add, remove and list watchlist entries (on the compacted `watchlist.entries` topic)."""


@watchlist_group.command("add")
@click.argument("plate")
@click.option(
    "--category",
    required=True,
    type=click.Choice(sorted(["stolen", "wanted", "incident", "lookout", "fake_plate", "other"])),
)
@click.option("--reason", required=True)
@click.option("--priority", type=click.IntRange(1, 3), default=2, show_default=True)
@click.option("--agency", "source_agency", default="扬州市公安局", show_default=True)
@click.option(
    "--by", "added_by", required=True, help="Who adds it (officer id or name), for the audit trail."
)
@click.option("--hours", type=float, default=None, help="Valid for this many hours (default: open-ended).")
@click.option("--covert", is_flag=True, help="Hits go only to alerts.restricted.")
@click.option("--incident", "incident_id", default=None)
@click.option("--instructions", default=None)
@click.option("--id", "entry_id", default=None, help="Entry id (default: a new one).")
def watchlist_add(
    plate: str,
    category: str,
    reason: str,
    priority: int,
    source_agency: str,
    added_by: str,
    hours: float | None,
    covert: bool,
    incident_id: str | None,
    instructions: str | None,
    entry_id: str | None,
) -> None:
    """Put PLATE on the watchlist."""
    from streams.domain.exceptions import InvalidInput
    from streams.domain.matching.watchlist import parse_entry
    from streams.tools.kafka_io import produce

    settings = _settings()
    now = datetime.now(UTC)
    entry_id = entry_id or f"WL-{uuid.uuid4().hex[:12]}"
    message = {
        "schema_version": 1,
        "entry_id": entry_id,
        "plate": plate,
        "category": category,
        "priority": priority,
        "reason": reason,
        "source_agency": source_agency,
        "added_by": added_by,
        "valid_from": now.isoformat(),
        "valid_until": None if hours is None else (now + timedelta(hours=hours)).isoformat(),
        "covert": covert,
        "incident_id": incident_id,
        "instructions": instructions,
    }
    try:
        parse_entry(entry_id, message)
    except InvalidInput as exc:
        raise click.ClickException(exc.detail) from None
    produce(settings, topics.WATCHLIST, [(entry_id.encode(), orjson.dumps(message))])
    click.echo(f"added {entry_id}: {plate} ({category}, priority {priority})")


@watchlist_group.command("remove")
@click.argument("entry_id")
@click.option("--by", "removed_by", required=True, help="Who removes it, for the audit trail.")
@click.option("--reason", required=True, help="Why, for the audit trail.")
def watchlist_remove(entry_id: str, removed_by: str, reason: str) -> None:
    """Delete ENTRY_ID (a tombstone on the compacted topic; who and why travel as headers)."""
    from streams.tools.kafka_io import produce
    from streams.worker.watchlist.checker import ACTOR_HEADER, REASON_HEADER

    headers = {ACTOR_HEADER: removed_by, REASON_HEADER: reason}
    produce(_settings(), topics.WATCHLIST, [(entry_id.encode(), None)], headers=headers)
    click.echo(f"removed {entry_id}")


@main.group("alert")
def alert_group() -> None:
    """Operators' decisions on an alert (sent as operator.commands)."""


def _send_command(target_id: str, command: str, operator: str, reason: str | None, note: str | None) -> None:
    from streams.domain.commands import parse_command
    from streams.domain.exceptions import InvalidInput
    from streams.tools.kafka_io import produce

    message = {
        "schema_version": 1,
        "command_id": f"cmd-{uuid.uuid4().hex[:16]}",
        "command": command,
        "target_id": target_id,
        "operator_id": operator,
        "issued_at": datetime.now(UTC).isoformat(),
        "reason_code": reason,
        "note": note,
    }
    try:
        parse_command(target_id, message)
    except InvalidInput as exc:
        raise click.ClickException(exc.detail) from None
    produce(_settings(), topics.OPERATOR_COMMANDS, [(target_id.encode(), orjson.dumps(message))])
    click.echo(f"{command} {target_id} sent ({message['command_id']})")


@alert_group.command("accept")
@click.argument("alert_id")
@click.option("--by", "operator", required=True)
@click.option("--reason", type=click.Choice(["confirmed_visually", "vehicle_stopped", "other"]), default=None)
@click.option("--note", default=None)
def alert_accept(alert_id: str, operator: str, reason: str | None, note: str | None) -> None:
    """Accept ALERT_ID: the hit is the listed vehicle."""
    _send_command(alert_id, "accept_hit", operator, reason, note)


@alert_group.command("reject")
@click.argument("alert_id")
@click.option("--by", "operator", required=True)
@click.option(
    "--reason",
    required=True,
    type=click.Choice(
        ["misread", "not_the_vehicle", "already_handled", "entry_outdated", "duplicate", "other"]
    ),
)
@click.option("--note", default=None)
def alert_reject(alert_id: str, operator: str, reason: str, note: str | None) -> None:
    """Reject ALERT_ID with a reason code (misread, not the vehicle, ...)."""
    _send_command(alert_id, "reject_hit", operator, reason, note)


@watchlist_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON entry per line.")
def watchlist_list(as_json: bool) -> None:
    """Print the current watchlist (the compacted topic read to its end)."""
    from streams.tools.kafka_io import read_watchlist

    entries = read_watchlist(_settings())
    for entry in sorted(entries.values(), key=lambda e: (e.priority, e.entry_id)):
        if as_json:
            click.echo(orjson.dumps({k: getattr(entry, k) for k in entry.__slots__}, default=str).decode())
        else:
            until = entry.valid_until.isoformat() if entry.valid_until else "open-ended"
            covert = " covert" if entry.covert else ""
            click.echo(
                f"{entry.entry_id:<18} {entry.plate_normalised:<10} P{entry.priority} {entry.category:<10}"
                f" until {until}{covert}  {entry.reason}"
            )
    click.echo(f"{len(entries)} entries", err=True)


@watchlist_group.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option(
    "--by", "added_by", default=None, help="Importing officer, for rows without an added_by column."
)
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Write nothing if any row is bad.")
def watchlist_import(csv_file: Any, added_by: str | None, dry_run: bool, all_or_nothing: bool) -> None:
    """Import a CSV watchlist (columns: see README); bad rows are reported by line and skipped."""
    from streams.domain.matching.bulk import read_entries_csv
    from streams.tools.kafka_io import produce

    result = read_entries_csv(csv_file.read(), added_by=added_by, now=datetime.now(UTC))
    for error in result.errors:
        click.echo(f"{csv_file.name}: {error}", err=True)
    held_back = dry_run or (all_or_nothing and bool(result.errors))
    if not held_back and result.messages:
        records = [(str(m["entry_id"]).encode(), orjson.dumps(m)) for m in result.messages]
        produce(_settings(), topics.WATCHLIST, records)
    verb = "would import" if held_back else "imported"
    click.echo(f"{verb} {len(result.messages)} entries; {len(result.errors)} rows refused")
    if result.errors:
        sys.exit(1)


@watchlist_group.command("export")
@click.argument("csv_file", type=click.File("w", encoding="utf-8"), default="-")
def watchlist_export(csv_file: Any) -> None:
    """Write the current watchlist as CSV (to CSV_FILE, default standard output)."""
    from streams.domain.matching.bulk import write_entries_csv
    from streams.tools.kafka_io import read_watchlist

    csv_file.write(write_entries_csv(read_watchlist(_settings()).values()))


@main.command()
@click.argument(
    "topic", type=click.Choice([topics.ALERTS, topics.ALERTS_RESTRICTED, topics.DEADLETTER, topics.AUDIT])
)
@click.option("--json", "as_json", is_flag=True, help="Print each message as one JSON line.")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest message instead of new ones only.")
@click.option("--max", "max_messages", type=int, default=None, help="Stop after this many messages.")
@click.option("--timeout", type=float, default=None, help="Stop after this many seconds without a message.")
def tail(
    topic: str, as_json: bool, from_beginning: bool, max_messages: int | None, timeout: float | None
) -> None:
    """Follow TOPIC (alerts, alerts.restricted or deadletter), one readable line per message."""
    from streams.tools.kafka_io import follow
    from streams.tools.render import render_line

    try:
        for value in follow(
            _settings(), topic, from_beginning=from_beginning, max_messages=max_messages, idle_timeout=timeout
        ):
            click.echo(value.decode("utf-8", "replace") if as_json else render_line(topic, value))
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass


@main.group("topology")
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
@click.argument("geojson", type=click.Path(exists=True, dir_okay=False))
def topology_check(geojson: str) -> None:
    """Check a deployment's topology file; print every problem found."""
    import json
    import time
    from pathlib import Path

    from streams.domain.geography.topology import TopologyError, load

    started = time.monotonic()
    try:
        topology = load(json.loads(Path(geojson).read_text(encoding="utf-8")))
    except (TopologyError, ValueError) as exc:
        for problem in getattr(exc, "problems", [str(exc)]):
            click.echo(f"{geojson}: {problem}", err=True)
        sys.exit(1)
    kinds: dict[str, int] = {}
    for point in topology.points.values():
        kinds[point.kind] = kinds.get(point.kind, 0) + 1
    click.echo(
        f"{geojson}: ok ({time.monotonic() - started:.2f} s): rings {', '.join(topology.rings)}; "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    )


def _latest_by_key(topic: str) -> dict[str, dict[str, Any]]:
    from streams.tools.kafka_io import read_to_end

    latest: dict[str, dict[str, Any]] = {}
    for key, value in read_to_end(_settings(), topic):
        if key is not None and value is not None:
            latest[key.decode("utf-8", "replace")] = orjson.loads(value)
    return latest


@main.command("incidents")
@click.option("--all", "show_all", is_flag=True, help="Closed incidents too.")
def incidents_command(show_all: bool) -> None:
    """List open incidents (the latest state of each, from the incidents topic)."""
    for incident in _latest_by_key(topics.INCIDENTS).values():
        if show_all or incident.get("status") == "open":
            click.echo(
                f"{incident['incident_id']}  P{incident['priority']} {incident['category']:<16} "
                f"{incident['status']:<6} suspects {incident['captured']}/{incident['suspects']} caught  "
                f"{incident['address']}  calls {len(incident['call_ids'])}  "
                f"lockdown {incident.get('lockdown_id') or '-'}"
            )


@main.command("lockdowns")
@click.option("--all", "show_all", is_flag=True, help="Lifted lockdowns too.")
def lockdowns_command(show_all: bool) -> None:
    """List active lockdowns: rings closed, points staffed per ring, rings sealed."""
    for event in _latest_by_key(topics.LOCKDOWNS).values():
        if show_all or event.get("status") == "active":
            progress = ", ".join(
                f"{ring} {event['staffed'].get(ring, 0)}/{n}" for ring, n in event["required"].items()
            )
            click.echo(
                f"{event['lockdown_id']}  {event['status']:<6} rings {'/'.join(event['rings'])}  "
                f"sealed {'/'.join(event['sealed']) or '-'}  staffed {progress}  "
                f"incident {event['incident_id']}  (last: {event['type']} at {event['at'][:19]})"
            )


@main.command("lift")
@click.argument("lockdown_id")
@click.option("--reason", required=True, type=click.Choice(["situation_resolved", "false_alarm", "other"]))
@click.option("--by", "operator", required=True)
@click.option("--note", default=None)
def lift_command(lockdown_id: str, reason: str, operator: str, note: str | None) -> None:
    """Lift LOCKDOWN_ID (the commander's decision, audited)."""
    _send_command(lockdown_id, "lift_lockdown", operator, reason, note)


@main.group("scenario")
def scenario_group() -> None:
    """The seed's cases as replayable scenarios: list, run (and verify), verify."""


@scenario_group.command("list")
def scenario_list() -> None:
    """The scenarios that ship with citygate."""
    from streams.tools import scenario

    for name in scenario.available():
        click.echo(f"{name:<22} {scenario.load(name)['title']}")


def _print_outcomes(outcomes: list[Any], started: datetime, speed: float) -> bool:
    for outcome in outcomes:
        if outcome.met and outcome.at is not None:
            seconds = max(0.0, (outcome.at - started).total_seconds())
            when = f"+{seconds:6.1f} s (scenario minute {seconds * speed / 60:5.1f})"
        else:
            when = " " * 33
        click.echo(f"  {'MET    ' if outcome.met else 'NOT MET'} {when}  {outcome.name} ({outcome.detail})")
    return all(outcome.met for outcome in outcomes)


@scenario_group.command("run")
@click.argument("name")
@click.option(
    "--speed", type=float, default=60.0, show_default=True, help="Scenario minutes per real minute."
)
@click.option("--no-verify", is_flag=True, help="Only play the timeline.")
def scenario_run(name: str, speed: float, no_verify: bool) -> None:
    """Play scenario NAME against the running worker(s), then check its expected outcomes."""
    from streams.tools import scenario

    try:
        spec = scenario.load(name)
    except KeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{spec['title']}  (speed ×{speed:g})")
    run = scenario.ScenarioRun(_settings(), spec, speed=speed, echo=click.echo)
    run.play()
    if no_verify:
        return
    time.sleep(3)  # let the worker finish the last steps
    click.echo("outcomes:")
    if not _print_outcomes(scenario.verify(_settings(), spec, run.started), run.started, speed):
        sys.exit(1)


@scenario_group.command("verify")
@click.argument("name")
@click.option("--since-min", type=float, default=120.0, show_default=True, help="Look this far back.")
def scenario_verify(name: str, since_min: float) -> None:
    """Check scenario NAME's expected outcomes against the output topics of the last SINCE_MIN minutes."""
    from streams.tools import scenario

    since = datetime.now(UTC) - timedelta(minutes=since_min)
    outcomes = scenario.verify(_settings(), scenario.load(name), since)
    if not _print_outcomes(outcomes, since, 60.0):
        sys.exit(1)


def _parse_start(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    from datetime import timezone

    if value is None or value == "now":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from None
    # A time without an offset is the city's local time (China Standard Time).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone(timedelta(hours=8)))


@main.command("simulate")
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
    help="Simulated start, ISO 8601 (no offset: +08:00). Default: now, or with --speed > 1 and --seconds "
    "so that the run ends now.",
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
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Rings-and-points GeoJSON (default: the worker's: CITYGATE_TOPOLOGY or the synthetic layout).",
)
@click.option(
    "--suspicious-share",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of guard reports that report suspicious activity (each opens an incident).",
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
) -> None:
    """City traffic on the road graph: hits at every checkpoint a car passes, patrol and guard reports."""
    from streams.tools.simulate.runner import SimulateOptions, run_simulation

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
    )
    run_simulation(_settings(), options, click.echo)


def _lookback_option(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    from streams.tools.console import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command("console")
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
def console(lookback: timedelta, max_alerts: int, once: bool, width: int | None) -> None:
    """Live operator view: alerts by priority, open incidents, active lockdowns, input rates (Ctrl-C ends)."""
    from rich.console import Console  # lazy: rich costs ~160 ms at import

    from streams.tools.console import ConsoleError, run_console

    settings = _settings()
    try:
        run_console(settings, lookback, max_alerts, once, console=Console(width=width))
    except ConsoleError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C while connecting


if __name__ == "__main__":
    main()
