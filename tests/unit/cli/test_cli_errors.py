"""The CLI's own errors: one line a person can act on, before anything is sent or any client waits."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from streams.cli import CitygateGroup, main
from streams.connection import ConnectionConfigError, check_bootstrap


@pytest.mark.parametrize(
    ("bootstrap", "says"),
    [
        ("", "empty"),
        (" , ", "empty"),
        ("http://kafka:9092", "has a scheme"),
        ("kafka", "has no port"),
        ("kafka:", "port '' is not a number"),
        ("host:abc", "port 'abc' is not a number"),
        ("host:0", "port '0'"),
        ("host:70000", "port '70000'"),
        ("ka fka:9092", "is not a host name"),
        ("localhost:9092,kafka/2:9092", "is not a host name"),
        (":9092", "has no port"),
    ],
)
def test_a_bootstrap_no_client_could_use_is_refused_in_one_line(bootstrap: str, says: str) -> None:
    with pytest.raises(ConnectionConfigError, match=says) as refused:
        check_bootstrap(bootstrap)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "bootstrap",
    ["localhost:9092", "kafka-0.kafka.svc:9093, kafka-1.kafka.svc:9093", "10.0.0.5:9092", "[::1]:9092"],
)
def test_every_usual_bootstrap_is_taken(bootstrap: str) -> None:
    assert len(check_bootstrap(bootstrap)) == bootstrap.count(",") + 1


def test_a_misspelt_command_suggests_the_closest() -> None:
    result = CliRunner().invoke(main, ["lfit", "ld-1"])
    assert result.exit_code == 2 and "Did you mean 'lift'?" in result.output


def test_version_is_printed() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("citygate ")


def test_every_command_takes_bootstrap_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "localhost:9092")
    # A bad value given with the flag is refused as a bad KAFKA_BOOTSTRAP would be: the flag took effect.
    for args in (["incidents"], ["lockdowns"], ["watchlist", "list"], ["tail", "alerts"], ["topics", "list"]):
        result = CliRunner().invoke(main, [*args, "--bootstrap-server", "http://x:9092"])
        assert result.exit_code == 1, (args, result.output)
        assert "has a scheme" in result.output and "Traceback" not in result.output
    assert os.environ["KAFKA_BOOTSTRAP"] == "http://x:9092"  # what the command read its settings from


@pytest.mark.parametrize(
    ("args", "suggested", "group"),
    [
        (["watchlist", "lsit"], "list", "citygate watchlist"),
        (["alert", "acept", "al-1"], "accept", "citygate alert"),
        (["scenario", "rnu", "x"], "run", "citygate scenario"),
        (["topology", "chek", "f.json"], "check", "citygate topology"),
        (["topics", "craete"], "create", "citygate topics"),
        (["acl", "plna"], "plan", "citygate acl"),
        (["operators", "lst"], "list", "citygate operators"),
    ],
)
def test_a_misspelt_subcommand_suggests_the_closest_of_its_group(
    args: list[str], suggested: str, group: str
) -> None:
    result = CliRunner().invoke(main, args, prog_name="citygate")
    assert result.exit_code == 2, result.output
    [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert f"Did you mean {suggested!r}?" in error and f"({group} --help lists them)" in error


def test_every_group_is_a_citygate_group() -> None:
    groups = [main, *(c for c in main.commands.values() if isinstance(c, click.Group))]
    assert len(groups) > 5 and all(isinstance(g, CitygateGroup) for g in groups)


BAD_TOPOLOGY = '{"type": "FeatureCollection", "features": []}'  # valid JSON, no rings


@pytest.mark.parametrize(
    "args",
    [
        ["worker"],
        ["simulate", "--seconds", "1"],
        ["scenario", "run", "lianshui_lookout", "--speed", "6000"],  # its plate reads need the checkpoints
    ],
)
def test_a_bad_topology_file_is_one_line_before_anything_connects(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "rings.geojson"
    path.write_text(BAD_TOPOLOGY)
    # Nothing listens on port 1: a command that got as far as Kafka would fail differently, 10 s later.
    env = {"CITYGATE_TOPOLOGY": str(path), "KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert line == (
        f"Error: CITYGATE_TOPOLOGY={path}: missing ring: core (and 2 more); "
        f"check it with `citygate topology check {path}`"
    )
    assert "Traceback" not in result.output and "Kafka" not in result.output


@pytest.mark.parametrize(
    ("content", "problem"), [(None, "no such file"), ("[]", "not a GeoJSON FeatureCollection (a JSON list)")]
)
def test_simulates_topology_option_is_read_alike(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "given.geojson"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(
        main, ["simulate", "--topology", str(path)], env={"KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: topology file {path}: {problem}; check it with `citygate topology check {path}`"
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("[]", ["not a GeoJSON FeatureCollection (a JSON list)"]),
        (None, ["no such file"]),
        (BAD_TOPOLOGY, [f"missing ring: {ring}" for ring in ("core", "urban", "city")]),
    ],
)
def test_topology_check_lists_every_problem_of_any_file(
    tmp_path: Path, content: str | None, says: list[str]
) -> None:
    path = tmp_path / "check.geojson"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(main, ["topology", "check", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.splitlines() == [f"{path}: {problem}" for problem in says]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["scenario", "run", "lotus_pond"], "no scenario 'lotus_pond'; did you mean 'lotus_pond_drill'? "),
        (["scenario", "verify", "lianshui"], "no scenario 'lianshui'; did you mean 'lianshui_lookout'? "),
        (["scenario", "run", "zzz"], "no scenario 'zzz'. "),
    ],
)
def test_an_unknown_scenario_is_a_usage_error_naming_the_closest_and_all(args: list[str], says: str) -> None:
    from streams.tools.scenarios import available

    result = CliRunner().invoke(main, args, env={"KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    assert result.exit_code == 2 and "Traceback" not in result.output  # as a misspelt command or choice
    [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert error == f"Error: Invalid value for 'NAME': {says}Known: {', '.join(available())}"
    assert len(available()) == 3


def test_a_worker_that_checks_signatures_needs_its_root_and_its_own_key_in_one_line(tmp_path: Path) -> None:
    """Before any Kafka call (the bootstrap is a port nothing listens on): what to set, in one line."""
    from streams.signing import SigningKey

    base = {"KAFKA_BOOTSTRAP": "127.0.0.1:1", "CITYGATE_DATA_DIR": str(tmp_path)}
    no_root = CliRunner().invoke(main, ["worker"], env={**base, "CITYGATE_REGISTRY_ROOT_KEY": ""})
    assert no_root.exit_code == 1 and len(no_root.output.splitlines()) == 1
    assert "CITYGATE_REGISTRY_ROOT_KEY is not set" in no_root.output
    root = SigningKey.generate("root").public_key_b64
    no_key = CliRunner().invoke(
        main, ["worker"], env={**base, "CITYGATE_REGISTRY_ROOT_KEY": root, "CITYGATE_WORKER_KEY_FILE": ""}
    )
    assert no_key.exit_code == 1 and len(no_key.output.splitlines()) == 1, no_key.output
    assert "CITYGATE_WORKER_KEY_FILE is not set" in no_key.output and "incident_desk" in no_key.output
