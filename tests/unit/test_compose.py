"""deploy/compose holds together with the code: a Kafka user per role of the role table (and admin), three
KRaft nodes, two workers that run as `worker` with only their own password, and a file the Compose
Specification's schema accepts (the check `make deploy-check` runs)."""

from __future__ import annotations

import runpy
from pathlib import Path

import yaml

from streams.roles import ROLES
from streams.settings import Settings, variable_name

ROOT = Path(__file__).parents[2]
COMPOSE_FILE = ROOT / "deploy" / "compose" / "compose.yaml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
validate = runpy.run_path(str(ROOT / "deploy" / "k8s" / "validate.py"))


def test_the_file_meets_the_compose_specification() -> None:
    assert validate["check_compose"](COMPOSE_FILE) == []


def test_there_is_a_kafka_user_for_admin_and_every_role() -> None:
    users = SERVICES["credentials"]["environment"]["USERS"].split()
    assert users == ["admin", *sorted(ROLES)]


def test_three_kafka_nodes_and_two_workers() -> None:
    nodes = sorted(name for name in SERVICES if name.startswith("kafka-"))
    assert nodes == ["kafka-1", "kafka-2", "kafka-3"]
    assert {SERVICES[name]["environment"]["NODE_ID"] for name in nodes} == {"1", "2", "3"}
    workers = [name for name in SERVICES if name.startswith("worker-")]
    assert len(workers) == 2
    for name in workers:
        service = SERVICES[name]
        assert service["environment"]["KAFKA_SASL_USERNAME"] == "worker"
        credentials = [volume for volume in service["volumes"] if volume["source"] == "credentials"]
        assert [volume["volume"]["subpath"] for volume in credentials] == ["worker"]
        known = {variable_name(field) for field in Settings.__dataclass_fields__}
        assert set(service["environment"]) <= known


def test_prometheus_scrapes_both_workers_under_the_rules_job() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "compose" / "prometheus.yml").read_text(encoding="utf-8"))
    job, gateway = config["scrape_configs"]
    assert job["job_name"] == "citygate"
    assert job["static_configs"][0]["targets"] == ["worker-1:6066", "worker-2:6066"]
    # The gateway under a job of its own: the worker rules (job="citygate") never count it as a worker.
    assert gateway["job_name"] == "citygate-gateway"
    assert gateway["static_configs"][0]["targets"] == ["gateway:8088"]


def test_the_gateway_connects_as_the_gateway_user_with_only_its_password() -> None:
    service = SERVICES["gateway"]
    assert service["command"] == ["gateway"]
    assert service["environment"]["KAFKA_SASL_USERNAME"] == "gateway"
    (mount,) = service["volumes"]
    assert mount["volume"]["subpath"] == "gateway" and mount["read_only"] is True


def test_the_web_console_reads_as_the_privileged_operator_on_loopback_only() -> None:
    service = SERVICES["web"]
    assert service["command"] == ["web"]
    assert service["environment"]["KAFKA_SASL_USERNAME"] == "privileged_operator"
    assert "privileged_operator" in ROLES
    known = {variable_name(field) for field in Settings.__dataclass_fields__}
    assert set(service["environment"]) <= known
    credentials = [v for v in service["volumes"] if v["source"] == "credentials"]
    assert [v["volume"]["subpath"] for v in credentials] == ["privileged_operator"]
    assert service["ports"] == [f"127.0.0.1:{Settings().console_web_port}:{Settings().console_web_port}"]
