"""Topic administration against a stand-in cluster whose nodes disagree, as a real cluster's do for a moment:
creating is idempotent when the node asked does not list a topic yet, returns only once every node lists
every topic, goes on through a node that does not answer, and fails with one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from kafka.errors import KafkaConnectionError

from streams.cli import main
from streams.settings import Settings
from streams.signing import SigningKey
from streams.tools import admin
from streams.tools.exceptions import AdminError
from streams.tools.retries import Backoff
from streams.topics import worker_topics
from tests.keys import desk_key_file

SETTINGS = Settings(kafka_bootstrap="h1:9092,h2:9092", app_id="yz", topic_prefix="t.")
NAMES = [spec.physical(SETTINGS) for spec in worker_topics(SETTINGS)]
ROOT_KEY = SigningKey.generate("root").public_key_b64  # `citygate worker` checks it before Kafka


class Cluster:
    """What the stand-in nodes hold: the topics the controller made, and what each node lists so far."""

    def __init__(self, nodes: int = 3) -> None:
        self.topics: dict[str, dict[str, Any]] = {}
        self.listed: dict[int, set[str]] = {node: set() for node in range(1, nodes + 1)}
        self.failures: list[BaseException] = []  # raised, one per request, before anything else
        self.refuse: dict[str, tuple[int, str]] = {}  # topic → (error code, message) on create
        self.lose_answer = False  # to the next create, made all the same (its node died after forwarding)
        self.unknown_once: set[str] = set()  # topics the node next asked to describe does not know yet
        self.requests: list[str] = []

    def fail_first(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def propagate(self, to: int | None = None) -> None:
        """Metadata reaches node `to` (every node when None)."""
        for node in [to] if to is not None else list(self.listed):
            self.listed[node] |= set(self.topics)


class StandInAdmin:
    """The parts of KafkaAdminClient the admin tools call; list_topics answers as node 1 does."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def list_topics(self) -> list[str]:
        self.cluster.requests.append("list")
        self.cluster.fail_first()
        return sorted(self.cluster.listed[1])

    def create_topics(self, new: dict[str, dict[str, Any]], **options: Any) -> dict[str, Any]:
        assert options["raise_errors"] is False
        self.cluster.requests.append("create")
        self.cluster.fail_first()
        answers = []
        for name, spec in new.items():
            if name in self.cluster.refuse:
                code, message = self.cluster.refuse[name]
            elif name in self.cluster.topics:
                code, message = 36, f"Topic '{name}' already exists."
            else:
                self.cluster.topics[name] = spec
                code, message = 0, None
            answers.append({"name": name, "error_code": code, "error_message": message})
        if self.cluster.lose_answer:
            self.cluster.lose_answer = False
            raise KafkaConnectionError("connection reset")
        return {"topics": answers}

    def delete_topics(self, names: list[str], **options: Any) -> dict[str, Any]:
        self.cluster.requests.append("delete")
        answers = []
        for name in names:
            known = self.cluster.topics.pop(name, None) is not None
            answers.append({"name": name, "error_code": 0 if known else 3, "error_message": None})
        return {"topics": answers}

    def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        unknown, self.cluster.unknown_once = self.cluster.unknown_once, set()
        return [
            {"name": n, "error_code": 0, "partitions": [{}] * self.cluster.topics[n]["num_partitions"]}
            if n in self.cluster.listed[1] and n not in unknown
            else {"name": n, "error_code": 3, "partitions": []}
            for n in names
        ]

    def describe_configs(self, resources: list[Any]) -> dict[str, Any]:
        found = {r.name: self.cluster.topics[r.name]["configs"] for r in resources}
        return {
            "topic": {name: {k: {"value": v} for k, v in configs.items()} for name, configs in found.items()}
        }

    def close(self) -> None:
        pass


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Cluster:
    made = Cluster()
    monkeypatch.setattr(admin, "_admin", lambda settings: StandInAdmin(made))
    monkeypatch.setattr(admin, "BACKOFF", Backoff(budget_s=0.3, first_s=0.001, cap_s=0.01))
    monkeypatch.setattr(admin, "LISTING", Backoff(budget_s=0.3, first_s=0.001, cap_s=0.01))
    return made


def listed_after(cluster: Cluster, polls: int) -> Callable[[Any, list[str]], dict[int, set[str]]]:
    """A `listed_by_node` under which every node lists the new topics only from the `polls`-th question."""
    asked = 0

    def listed_by_node(_admin: Any, names: list[str]) -> dict[int, set[str]]:
        nonlocal asked
        asked += 1
        if asked >= polls:
            cluster.propagate()
        return {node: set(has) & set(names) for node, has in cluster.listed.items()}

    return listed_by_node


def test_create_makes_every_topic_and_returns_only_once_every_node_lists_them(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "listed_by_node", listed_after(cluster, 4))
    created, existing = admin.create_topics(SETTINGS)
    assert [s.physical(SETTINGS) for s in created] == NAMES and existing == []
    assert all(cluster.listed[node] == set(NAMES) for node in cluster.listed)
    changelog = cluster.topics["yz-incidents-changelog"]
    assert changelog == {
        "num_partitions": 1,
        "replication_factor": 1,
        "configs": {"min.insync.replicas": "1", "cleanup.policy": "compact"},  # one replica: min ISR 1
    }


def test_a_topic_the_node_asked_does_not_list_yet_is_already_there(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "listed_by_node", listed_after(cluster, 1))
    cluster.topics["t.alerts"] = {"num_partitions": 1, "replication_factor": 1, "configs": {}}
    cluster.propagate(to=2)  # node 1, which list_topics asks, does not list it yet
    created, existing = admin.create_topics(SETTINGS)
    assert [s.physical(SETTINGS) for s in existing] == ["t.alerts"] and len(created) == len(NAMES) - 1
    assert admin.create_topics(SETTINGS) == ([], worker_topics(SETTINGS))


def test_a_node_that_does_not_answer_is_waited_out(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin, "listed_by_node", listed_after(cluster, 1))
    cluster.failures = [KafkaConnectionError("111 ECONNREFUSED"), KafkaConnectionError("111 ECONNREFUSED")]
    created, _ = admin.create_topics(SETTINGS)
    assert len(created) == len(NAMES)
    assert cluster.requests == ["list", "list", "list", "create"]


def test_a_create_whose_answer_is_lost_is_tried_again(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "listed_by_node", listed_after(cluster, 1))
    cluster.lose_answer = True
    created, existing = admin.create_topics(SETTINGS)
    assert created == [] and len(existing) == len(NAMES)  # made by the first try, found by the second
    assert set(cluster.topics) == set(NAMES) and cluster.requests == ["list", "create", "list", "create"]


def test_a_refused_create_is_one_line_per_reason(cluster: Cluster) -> None:
    reason = (38, "Replication factor: 3 larger than available brokers: 1.")
    cluster.refuse = {name: reason for name in NAMES}
    with pytest.raises(AdminError) as refused:
        admin.create_topics(SETTINGS)
    assert str(refused.value) == (
        f"creating topics on h1:9092,h2:9092 failed: cannot create t.anpr.hits and {len(NAMES) - 1} more: "
        "INVALID_REPLICATION_FACTOR (Replication factor: 3 larger than available brokers: 1.)"
    )


def test_nodes_that_never_list_the_topics_fail_the_create_with_one_line(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(_admin: Any, names: list[str]) -> dict[int, set[str]]:
        return {1: set(names), 2: set(), 3: set(names[1:])}

    monkeypatch.setattr(admin, "listed_by_node", never)
    with pytest.raises(AdminError) as stuck:
        admin.create_topics(SETTINGS)
    assert str(stuck.value) == (
        "waiting for every node to list the topics on h1:9092,h2:9092 still failing after 0 s: "
        f"node 2 lacks t.anpr.hits and {len(NAMES) - 1} more; node 3 lacks t.anpr.hits"
    )


def test_problems_are_asked_again_when_the_node_does_not_know_a_listed_topic(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "listed_by_node", listed_after(cluster, 1))
    admin.create_topics(SETTINGS)
    assert admin.topic_problems(SETTINGS) == []
    cluster.unknown_once = {"t.alerts"}  # listed by the node list_topics asked, not by the one describing
    assert admin.topic_problems(SETTINGS) == []  # not "t.alerts has 0 partitions"
    assert cluster.unknown_once == set() and cluster.requests.count("list") == 4
    del cluster.topics["yz-lookouts-changelog"]
    cluster.listed[1].discard("yz-lookouts-changelog")
    assert admin.topic_problems(SETTINGS) == ["missing topic yz-lookouts-changelog"]


def test_a_changelog_with_another_partition_count_is_a_problem(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "listed_by_node", listed_after(cluster, 1))
    cluster.topics["yz-alert_book-changelog"] = {"num_partitions": 4, "replication_factor": 1, "configs": {}}
    admin.create_topics(SETTINGS)
    [problem] = admin.topic_problems(SETTINGS)
    assert problem.startswith("topic yz-alert_book-changelog has 4 partitions; Faust needs 1")


def test_delete_ignores_what_is_gone_and_returns_once_no_node_lists_it(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "listed_by_node", listed_after(cluster, 1))
    admin.create_topics(SETTINGS)
    stale = {node: set(NAMES) for node in cluster.listed}
    polls = []

    def dropping(_admin: Any, names: list[str]) -> dict[int, set[str]]:
        polls.append(1)
        return {node: has & set(names) if len(polls) < 3 else set() for node, has in stale.items()}

    monkeypatch.setattr(admin, "listed_by_node", dropping)
    admin.delete_topics(SETTINGS, [*NAMES, "t.never-made"])
    assert cluster.topics == {} and len(polls) == 3


def test_the_cli_turns_an_unreachable_cluster_into_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def unreachable(settings: Settings) -> Any:
        raise KafkaConnectionError("111 ECONNREFUSED")

    monkeypatch.setattr(admin, "_admin", unreachable)
    monkeypatch.setattr(admin, "BACKOFF", Backoff(budget_s=0.05, first_s=0.001, cap_s=0.01))
    env = {
        "KAFKA_BOOTSTRAP": "127.0.0.1:1",
        "CITYGATE_REGISTRY_ROOT_KEY": ROOT_KEY,
        "CITYGATE_WORKER_KEY_FILE": desk_key_file(tmp_path),
    }
    for args, doing in (
        (["topics", "list"], "listing"),
        (["topics", "create"], "creating"),
        (["worker"], "checking"),
    ):
        done = CliRunner().invoke(main, args, env=env)
        assert done.exit_code == 1, (args, done.output)
        assert done.output.splitlines() == [
            f"Error: {doing} topics on 127.0.0.1:1 still failing after 0 s: "
            "KafkaConnectionError: 111 ECONNREFUSED"
        ], args
