"""deploy/k8s/base/generated is what `citygate deploy render` makes of the code's tables: a topic or a role
changed without regenerating fails here; and what it makes is exactly those tables (every topic a worker
needs with its specs, every role with exactly its ACLs), for any deployment's names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from streams import topics
from streams.cli import main
from streams.roles import ROLES, acls
from streams.settings import Settings
from streams.tools.deploy.monitoring import prometheus_rule
from streams.tools.deploy.render import OUT, differences, render, write
from streams.tools.deploy.strimzi import (
    NotAnObjectName,
    bindings_of,
    kafka_topics,
    kafka_users,
    object_name,
)

ROOT = Path(__file__).parents[4]
K8S = Settings(replication_factor=3)
CITY = Settings(replication_factor=3, topic_prefix="yz.", app_id="yz-city", hits_partitions=32)


def test_the_committed_files_are_what_the_tables_render(tmp_path: Path) -> None:
    write(tmp_path, render(K8S, ROOT))
    for rendered in sorted(tmp_path.iterdir()):
        committed = ROOT / OUT / rendered.name
        assert committed.is_file(), f"{committed} missing: run `citygate deploy render`"
        assert committed.read_text(encoding="utf-8") == rendered.read_text(encoding="utf-8"), (
            f"{committed} is stale: run `citygate deploy render`"
        )
    assert differences(ROOT / OUT, render(K8S, ROOT)) == []


def test_render_check_passes_on_the_committed_files_and_fails_on_an_edit(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "generated"
    args = ["deploy", "render", "--out", str(out), "--root", str(ROOT)]
    env = {"CITYGATE_REPLICATION_FACTOR": ""}
    assert runner.invoke(main, args, env=env).exit_code == 0
    assert runner.invoke(main, [*args, "--check"], env=env).exit_code == 0
    edited = out / "kafka-topics.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("partitions: 8", "partitions: 9"))
    failed = runner.invoke(main, [*args, "--check"], env=env)
    assert failed.exit_code == 1
    assert "-  partitions: 9" in failed.output and "+  partitions: 8" in failed.output
    (out / "by-hand.yaml").write_text("kind: ConfigMap\n")
    assert "by-hand.yaml: not generated" in runner.invoke(main, [*args, "--check"], env=env).output


@pytest.mark.parametrize("settings", [K8S, CITY], ids=["default", "city"])
def test_the_topics_are_the_worker_topics_with_their_specs(settings: Settings) -> None:
    rendered = {topic["spec"]["topicName"]: topic["spec"] for topic in kafka_topics(settings, "citygate")}
    expected = {spec.physical(settings): spec for spec in topics.worker_topics(settings)}
    assert set(rendered) == set(expected)
    for name, spec in expected.items():
        assert rendered[name] == {
            "topicName": name,
            "partitions": spec.partitions,
            "replicas": settings.replication_factor,
            "config": spec.config,
        }
    assert rendered[settings.topic(topics.HITS)]["config"]["min.insync.replicas"] == "2"
    assert rendered[settings.topic(topics.WATCHLIST)]["config"]["cleanup.policy"] == "compact"


def test_every_public_topic_and_every_table_s_changelog_is_there() -> None:
    names = {topic["spec"]["topicName"] for topic in kafka_topics(CITY, "citygate")}
    assert {CITY.topic(name) for name in topics.ALL} <= names
    assert {topics.changelog_topic("yz-city", table) for table in topics.TABLES} <= names


@pytest.mark.parametrize("settings", [K8S, CITY], ids=["default", "city"])
def test_the_users_are_the_roles_with_exactly_their_acls(settings: Settings) -> None:
    users = kafka_users(settings, "citygate")
    assert sorted(user["metadata"]["labels"]["citygate.io/role"] for user in users) == sorted(
        object_name(name) for name in ROLES
    )
    for user in users:
        role = next(
            r for r in ROLES.values() if object_name(r.name) == user["metadata"]["labels"]["citygate.io/role"]
        )
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["spec"]["authorization"]["type"] == "simple"
        assert bindings_of(user) == set(acls(role, f"User:{user['metadata']['name']}", settings))


def test_the_worker_gets_its_internal_topics_by_prefix_and_its_groups() -> None:
    worker = next(user for user in kafka_users(CITY, "citygate") if user["metadata"]["name"] == "yz.worker")
    rules = {
        (rule["resource"]["type"], rule["resource"]["name"], rule["resource"]["patternType"]): rule
        for rule in worker["spec"]["authorization"]["acls"]
    }
    assert rules[("topic", "yz-city-", "prefix")]["operations"] == [
        "Describe",
        "DescribeConfigs",
        "Read",
        "Write",
    ]
    assert rules[("group", "yz-city", "literal")]["operations"] == ["Read"]
    assert rules[("group", "yz-city-hits", "literal")]["operations"] == ["Read"]
    assert not any("Create" in rule["operations"] for rule in rules.values())


def test_object_names_are_kubernetes_names_and_the_topic_keeps_its_own() -> None:
    assert object_name("citygate-alert_book-changelog") == "citygate-alert-book-changelog"
    assert object_name("citygate-__assignor-__leader") == "citygate-assignor-leader"
    with pytest.raises(NotAnObjectName):
        object_name("städte/yz")
    names = [topic["metadata"]["name"] for topic in kafka_topics(K8S, "citygate")]
    assert len(names) == len(set(names)), "two topics would share one KafkaTopic"


def test_the_replication_factor_sets_replicas_and_min_insync() -> None:
    single = kafka_topics(replace(K8S, replication_factor=1), "dev")
    assert {topic["spec"]["replicas"] for topic in single} == {1}
    assert {topic["spec"]["config"]["min.insync.replicas"] for topic in single} == {"1"}
    assert {topic["metadata"]["labels"]["strimzi.io/cluster"] for topic in single} == {"dev"}


def test_the_prometheus_rule_holds_rules_yml_s_groups() -> None:
    source = yaml.safe_load((ROOT / "deploy/prometheus/rules.yml").read_text(encoding="utf-8"))
    assert prometheus_rule(ROOT)["spec"]["groups"] == source["groups"]


def test_every_generated_file_says_it_is_generated_and_parses() -> None:
    for generated in render(K8S, ROOT):
        assert generated.text.startswith("# Generated by `citygate deploy render`")
        assert all(isinstance(doc, dict) for doc in yaml.safe_load_all(generated.text))
