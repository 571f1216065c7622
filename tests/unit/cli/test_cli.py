"""The `citygate` command layer without a broker: the commands it lists, choices taken from the domain,
input refused before anything is sent, and a start-up that imports no Kafka client, rich or Faust."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from streams import topics
from streams.cli import main
from streams.domain.commands import ACCEPT_REASONS, LOCKDOWN_REASONS, REJECT_REASONS
from streams.domain.matching.watchlist import CATEGORIES
from streams.settings import Settings
from streams.tools.console import DEFAULT_MAX_ALERTS

COMMANDS = [
    "acl", "alert", "cameras", "console", "deploy", "dispatch", "gateway", "incidents", "lift", "lockdowns",
    "operators", "report", "scenario", "seal", "simulate", "staff", "tail", "topics", "topology", "units",
    "watchlist", "web", "worker",
]  # fmt: skip


def option(path: list[str], name: str) -> click.Option:
    command: click.Command = main
    for part in path:
        assert isinstance(command, click.Group)
        command = command.commands[part]
    [found] = [p for p in command.params if p.name == name]
    assert isinstance(found, click.Option)
    return found


def choices(path: list[str], name: str) -> list[str]:
    kind = option(path, name).type
    assert isinstance(kind, click.Choice)
    return list(kind.choices)


def test_the_group_lists_every_command() -> None:
    assert sorted(main.commands) == COMMANDS
    listed = CliRunner().invoke(main, ["--help"]).output
    assert all(f"  {name} " in listed for name in COMMANDS)


def test_choices_come_from_the_domain_with_other_last() -> None:
    assert choices(["watchlist", "add"], "category") == [*sorted(CATEGORIES - {"other"}), "other"]
    assert choices(["alert", "accept"], "reason") == ["confirmed_visually", "vehicle_stopped", "other"]
    assert set(choices(["alert", "reject"], "reason")) == REJECT_REASONS
    assert set(choices(["alert", "accept"], "reason")) == ACCEPT_REASONS
    # Lifting offers the lockdown reasons a commander lifts for; a radio confirmation only staffs a point.
    assert choices(["lift"], "reason") == ["false_alarm", "situation_resolved", "other"]
    assert set(choices(["lift"], "reason")) < LOCKDOWN_REASONS
    assert option(["watchlist", "add"], "source_agency").default == Settings().home_agency
    assert option(["console"], "max_alerts").default == DEFAULT_MAX_ALERTS
    topic = main.commands["tail"].params[0]
    assert isinstance(topic.type, click.Choice)
    assert list(topic.type.choices) == [
        topics.ALERTS,
        topics.ALERTS_RESTRICTED,
        topics.DEADLETTER,
        topics.AUDIT,
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["watchlist", "add", "not a plate", "--category", "stolen", "--reason", "r", "--by", "o"], "plate"),
        (["alert", "reject", "al-1", "--by", "op"], "Missing option '--reason'"),
        (["alert", "accept", "bad id!", "--by", "op"], "target_id"),
        (["lift", "ld-1", "--by", "cmdr", "--reason", "radio_confirmed"], "'radio_confirmed' is not one of"),
        (["staff", "BP 1", "--by", "op"], "target_id"),
        (["staff", "BP-1", "--by", "op", "--reason", "false_alarm"], "'false_alarm' is not one of"),
        (["lift", "ld-1", "--by", "c", "--reason", "other", "--wait-timeout", "0"], "--wait-timeout"),
        (["console", "--lookback", "2x"], "not a duration: '2x'"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(args: list[str], error: str) -> None:
    # KAFKA_BOOTSTRAP points nowhere: a command that got as far as sending would hang, then fail differently.
    done = CliRunner().invoke(main, args, env={"KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    assert done.exit_code != 0 and error in done.output, done.output
    assert "Traceback" not in done.output


def test_a_bad_setting_is_one_line() -> None:
    done = CliRunner().invoke(main, ["topics", "list"], env={"CITYGATE_WEB_PORT": "many"})
    assert done.exit_code == 1
    assert done.output.startswith("Error: ") and len(done.output.strip().splitlines()) == 1


def test_starting_the_cli_imports_no_kafka_client_rich_or_faust() -> None:
    heavy = "{'kafka', 'rich', 'faust', 'mode', 'aiokafka'}"
    code = f"import sys, streams.cli; print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_acl_plan_prints_a_roles_acls_for_the_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYGATE_TOPIC_PREFIX", "yz.")
    out = CliRunner().invoke(main, ["acl", "plan", "--role", "gateway", "--principal", "User:gw-17"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "User:gw-17 ALLOW DESCRIBE topic yz.anpr.hits",
        "User:gw-17 ALLOW WRITE topic yz.anpr.hits",
        "User:gw-17 ALLOW DESCRIBE topic yz.cameras.registry",
        "User:gw-17 ALLOW READ topic yz.cameras.registry",
        "User:gw-17 ALLOW DESCRIBE topic yz.cameras.status",
        "User:gw-17 ALLOW WRITE topic yz.cameras.status",
        "User:gw-17 ALLOW DESCRIBE topic yz.gateway.keys",
        "User:gw-17 ALLOW READ topic yz.gateway.keys",
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["acl", "plan"], "name a role"),
        (["acl", "plan", "--all", "--principal", "User:x"], "exactly one --role"),
        (["acl", "plan", "--role", "janitor"], "Invalid value for '--role'"),
    ],
)
def test_acl_commands_refuse_what_cannot_be_meant(args: list[str], says: str) -> None:
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 2 and says in out.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["incidents"], "none: no open incidents"),
        (["incidents", "--all"], "none: no incidents"),
        (["lockdowns"], "none: no active lockdowns"),
        (["lockdowns", "--all"], "none: no lockdowns"),
    ],
)
def test_an_empty_listing_says_none(monkeypatch: pytest.MonkeyPatch, args: list[str], says: str) -> None:
    import streams.tools.kafka_io

    monkeypatch.setattr(streams.tools.kafka_io, "read_to_end", lambda _settings, _topic: [])
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0 and done.stdout == "" and done.stderr == f"{says}\n"
