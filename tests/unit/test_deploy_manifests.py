"""deploy/k8s holds together with the code: the worker's environment names real settings, it reads the
credentials of users the role table makes, the autoscaler watches the sensor side's real group and topic
and never runs more workers than anpr.hits has partitions, and every file validates against its schema
(the same check `make deploy-check` runs on the built overlays)."""

from __future__ import annotations

import runpy
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from streams import topics
from streams.settings import Settings, variable_name

ROOT = Path(__file__).parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
validate = runpy.run_path(str(ROOT / "deploy" / "k8s" / "validate.py"))


def _docs(*names: str) -> list[dict[str, Any]]:
    return [
        doc
        for name in names
        for doc in yaml.safe_load_all((BASE / name).read_text(encoding="utf-8"))
        if doc is not None
    ]


def _one(kind: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [doc for doc in docs if doc["kind"] == kind]
    return found


WORKER = _one("Deployment", _docs("worker.yaml"))
CONTAINER = WORKER["spec"]["template"]["spec"]["containers"][0]
ENV = {item["name"]: item for item in CONTAINER["env"]}
USERS = {doc["metadata"]["name"] for doc in _docs("generated/kafka-users.yaml")}
TOPICS = {doc["spec"]["topicName"]: doc["spec"] for doc in _docs("generated/kafka-topics.yaml")}


def test_every_variable_the_worker_is_given_is_a_setting() -> None:
    known = {variable_name(field.name) for field in fields(Settings)}
    assert set(ENV) <= known, set(ENV) - known
    assert ENV["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert ENV["CITYGATE_WEB_HOST"]["value"] == "0.0.0.0"  # noqa: S104 - the kubelet probes from outside
    assert "KAFKA_SASL_PASSWORD" not in ENV, "the password is a mounted file, never a plain variable"


def test_the_worker_runs_as_the_worker_user_with_its_secret_and_the_cluster_ca() -> None:
    assert ENV["KAFKA_SASL_USERNAME"]["value"] == "worker" and "worker" in USERS
    volumes = {volume["name"]: volume for volume in WORKER["spec"]["template"]["spec"]["volumes"]}
    mounts = {mount["name"]: mount["mountPath"] for mount in CONTAINER["volumeMounts"]}
    assert volumes["kafka-user"]["secret"]["secretName"] == "worker"
    assert ENV["KAFKA_SASL_PASSWORD_FILE"]["value"] == f"{mounts['kafka-user']}/password"
    assert volumes["kafka-ca"]["secret"]["secretName"] == "citygate-cluster-ca-cert"
    assert ENV["KAFKA_SSL_CAFILE"]["value"] == f"{mounts['kafka-ca']}/ca.crt"
    assert ENV["CITYGATE_WORKER_KEY_FILE"]["value"].startswith(mounts["worker-key"] + "/")
    assert (
        ENV["KAFKA_BOOTSTRAP"]["value"]
        == f"{_one('Kafka', _docs('kafka.yaml'))['metadata']['name']}-kafka-bootstrap:9093"
    )


def test_probes_use_the_worker_s_web_port() -> None:
    port = CONTAINER["ports"][0]
    assert port == {"name": "web", "containerPort": Settings().web_port}
    assert CONTAINER["readinessProbe"]["httpGet"]["path"] == "/health"
    assert CONTAINER["startupProbe"]["httpGet"]["path"] == "/health"
    grace = WORKER["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert Settings().stop_grace_s < grace, "the kubelet would kill a worker still stopping"


def test_autoscaling_follows_the_sensor_side_and_stays_within_its_partitions() -> None:
    scaled = _one("ScaledObject", _docs("autoscaling.yaml"))
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["metadata"]["consumerGroup"] == Settings().hits_group
    assert trigger["metadata"]["topic"] == topics.HITS
    partitions = TOPICS[topics.HITS]["partitions"]
    assert WORKER["spec"]["replicas"] <= scaled["spec"]["maxReplicaCount"] <= partitions
    auth = _one("TriggerAuthentication", _docs("autoscaling.yaml"))
    assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} == {"ops", "citygate-cluster-ca-cert"}
    assert "ops" in USERS


def test_the_pod_monitor_names_the_job_the_alert_rules_select() -> None:
    monitor = _one("PodMonitor", _docs("monitoring.yaml"))
    job = WORKER["spec"]["template"]["metadata"]["labels"][monitor["spec"]["jobLabel"]]
    assert 'job="citygate"' in (ROOT / "deploy/prometheus/rules.yml").read_text(encoding="utf-8")
    assert job == "citygate"


def test_every_base_file_validates_against_its_schema() -> None:
    for path in sorted(BASE.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        assert validate["check_manifests"](path.read_text(encoding="utf-8"), str(path)) == []


def test_the_validator_refuses_unknown_fields_and_kinds() -> None:
    topic = yaml.safe_dump({**_docs("generated/kafka-topics.yaml")[0], "specs": {}})
    assert any("specs" in error for error in validate["check_manifests"](topic, "t"))
    unknown = yaml.safe_dump({"apiVersion": "example.org/v1", "kind": "Gadget", "metadata": {"name": "g"}})
    assert any("no schema" in error for error in validate["check_manifests"](unknown, "u"))
    worker = yaml.safe_dump({**WORKER, "spec": {**WORKER["spec"], "replicaz": 2}})
    assert validate["check_manifests"](worker, "w") != []


def test_the_validator_checks_what_spans_resources() -> None:
    pools = _docs("kafka.yaml")
    topic = _docs("generated/kafka-topics.yaml")[0]
    one_replica = {**topic, "spec": {**topic["spec"], "replicas": 1}}
    five_replicas = {**topic, "spec": {**topic["spec"], "replicas": 5}}
    scaled = _one("ScaledObject", _docs("autoscaling.yaml"))
    too_many = {**scaled, "spec": {**scaled["spec"], "maxReplicaCount": 99}}
    hits = next(
        doc for doc in _docs("generated/kafka-topics.yaml") if doc["spec"]["topicName"] == topics.HITS
    )
    text = yaml.safe_dump_all([*pools, one_replica, five_replicas, hits, too_many])
    problems = " ".join(validate["check_manifests"](text, "x"))
    assert "min.insync.replicas 2 of 1 replicas" in problems
    assert "5 replicas on 3 brokers" in problems
    assert "99 workers on 8 partitions" in problems


GATEWAY = _one("Deployment", _docs("gateway.yaml"))
GATEWAY_CONTAINER = GATEWAY["spec"]["template"]["spec"]["containers"][0]
GATEWAY_ENV = {item["name"]: item for item in GATEWAY_CONTAINER["env"]}


def test_the_gateway_runs_as_the_gateway_user_on_settings_that_exist() -> None:
    known = {variable_name(field.name) for field in fields(Settings)}
    assert set(GATEWAY_ENV) <= known, set(GATEWAY_ENV) - known
    assert GATEWAY_CONTAINER["args"] == ["gateway"]
    assert GATEWAY_ENV["KAFKA_SASL_USERNAME"]["value"] == "gateway" and "gateway" in USERS
    assert GATEWAY_ENV["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert "KAFKA_SASL_PASSWORD" not in GATEWAY_ENV
    volumes = {v["name"]: v for v in GATEWAY["spec"]["template"]["spec"]["volumes"]}
    assert volumes["kafka-user"]["secret"]["secretName"] == "gateway"
    port = int(GATEWAY_ENV["CITYGATE_GATEWAY_PORT"]["value"])
    assert GATEWAY_CONTAINER["ports"][0]["containerPort"] == port
    assert GATEWAY_CONTAINER["readinessProbe"]["httpGet"]["path"] == "/health"
    grace = GATEWAY["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert Settings().gateway_ack_timeout_s * 2 < grace, "the kubelet would kill a gateway still draining"


def test_the_gateway_manifests_validate() -> None:
    text = (BASE / "gateway.yaml").read_text(encoding="utf-8")
    assert validate["check_manifests"](text, "gateway.yaml") == []


WEB_DOCS = _docs("web.yaml")
WEB = _one("Deployment", WEB_DOCS)
WEB_CONTAINER = WEB["spec"]["template"]["spec"]["containers"][0]
WEB_ENV = {item["name"]: item for item in WEB_CONTAINER["env"]}


def test_the_web_console_runs_as_the_privileged_operator_over_tls_on_settings_that_exist() -> None:
    known = {variable_name(field.name) for field in fields(Settings)}
    assert set(WEB_ENV) <= known, set(WEB_ENV) - known
    assert WEB_CONTAINER["args"] == ["web"]
    assert WEB_ENV["KAFKA_SASL_USERNAME"]["value"] == "privileged-operator"
    assert "privileged-operator" in USERS and "KAFKA_SASL_PASSWORD" not in WEB_ENV
    volumes = {v["name"]: v for v in WEB["spec"]["template"]["spec"]["volumes"]}
    assert volumes["kafka-user"]["secret"]["secretName"] == "privileged-operator"
    assert WEB_ENV["CITYGATE_CONSOLE_WEB_TLS_CERTFILE"]["value"].startswith("/etc/citygate/web-tls/")
    port = int(WEB_ENV["CITYGATE_CONSOLE_WEB_PORT"]["value"])
    assert WEB_CONTAINER["ports"][0]["containerPort"] == port
    for probe in ("startupProbe", "readinessProbe"):
        assert WEB_CONTAINER[probe]["httpGet"] == {"path": "/health", "port": "https", "scheme": "HTTPS"}
    # Sessions are the process's: one replica, never two that would each know half the logins.
    assert WEB["spec"]["replicas"] == 1


def test_the_web_console_manifests_validate() -> None:
    text = (BASE / "web.yaml").read_text(encoding="utf-8")
    assert validate["check_manifests"](text, "web.yaml") == []
