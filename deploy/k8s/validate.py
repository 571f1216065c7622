#!/usr/bin/env python3
"""Validates Kubernetes manifests offline, strictly (an unknown field is an error, as `kubectl apply`'s
server-side field validation makes it), and the compose file against the Compose Specification.

    kustomize build deploy/k8s/overlays/prod | python deploy/k8s/validate.py -     # or FILE…
    python deploy/k8s/validate.py --compose deploy/compose/compose.yaml

Kubernetes' own kinds go through kubernetes-validate (its bundled schemas, KUBERNETES_VERSION below); the
custom resources (Strimzi, the Prometheus Operator, KEDA) through jsonschema, against the CRD schemas
vendored in deploy/schemas/ (README.md there names each one's source and version). A kind with no schema
is an error, not a pass. Exit status 1 on any error, one line each.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.33.0"
SCHEMAS = Path(__file__).parents[1] / "schemas"
COMPOSE_SCHEMA = SCHEMAS / "compose-spec" / "compose-spec.json"


def _strict(schema: Any) -> Any:
    """The CRD schema with unknown fields refused wherever it lists the fields and keeps no others."""
    if isinstance(schema, dict):
        out = {key: _strict(value) for key, value in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@cache
def _custom(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    group, _, version = api_version.rpartition("/")
    path = SCHEMAS / group / f"{kind.lower()}-{version}.json"
    if not group or not path.is_file():
        return None
    schema = _strict(json.loads(path.read_text(encoding="utf-8")))
    return jsonschema.Draft7Validator(schema)


def _problems(doc: dict[str, Any]) -> Iterator[str]:
    api_version, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
    if not doc.get("metadata", {}).get("name"):
        yield "metadata.name missing"
    custom = _custom(api_version, kind)
    if custom is not None:
        for error in sorted(custom.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            yield f"{'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:300]}"
        return
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        yield f"no schema for {api_version} {kind} (vendor its CRD into deploy/schemas/)"
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(map(str, exc.path)) or "(root)"  # type: ignore[attr-defined]
        yield f"{where}: {exc.message[:300]}"  # type: ignore[attr-defined]


def _consistency(docs: list[dict[str, Any]]) -> Iterator[str]:
    """What no schema can say, across the resources of one build: every topic fits on the brokers and
    keeps writing with one broker down, and the autoscaler never runs more workers than anpr.hits has
    partitions (a worker beyond them holds nothing)."""
    of = {kind: [doc for doc in docs if doc.get("kind") == kind] for kind in ("KafkaNodePool", "KafkaTopic")}
    brokers = sum(
        pool["spec"]["replicas"] for pool in of["KafkaNodePool"] if "broker" in pool["spec"].get("roles", [])
    )
    if of["KafkaNodePool"] and brokers == 0:
        yield "no KafkaNodePool has the broker role"
    partitions: dict[str, int] = {}
    for topic in of["KafkaTopic"]:
        spec, name = topic["spec"], topic["metadata"]["name"]
        partitions[spec.get("topicName", name)] = spec.get("partitions", 0)
        replicas, insync = spec.get("replicas", 0), int(spec.get("config", {}).get("min.insync.replicas", 1))
        if of["KafkaNodePool"] and replicas > brokers:
            yield f"KafkaTopic/{name}: {replicas} replicas on {brokers} brokers"
        if insync > max(1, replicas - 1):
            yield f"KafkaTopic/{name}: min.insync.replicas {insync} of {replicas} replicas: one broker down"
    for scaled in (doc for doc in docs if doc.get("kind") == "ScaledObject"):
        for trigger in scaled["spec"].get("triggers", []):
            topic = trigger.get("metadata", {}).get("topic")
            most = scaled["spec"].get("maxReplicaCount", 100)
            if topic in partitions and most > partitions[topic]:
                name = scaled["metadata"]["name"]
                yield f"ScaledObject/{name}: {most} workers on {partitions[topic]} partitions"


def check_manifests(text: str, source: str) -> list[str]:
    errors = []
    docs = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    for doc in docs:
        name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        errors.extend(f"{source}: {name}: {problem}" for problem in _problems(doc))
    if not docs:
        errors.append(f"{source}: no manifests")
    errors.extend(f"{source}: {problem}" for problem in _consistency(docs))
    return errors


def check_compose(path: Path) -> list[str]:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{path}: {'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:300]}"
        for error in validator.iter_errors(doc)
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="manifest files, - for standard input")
    parser.add_argument("--compose", type=Path, action="append", default=[], help="a compose file")
    args = parser.parse_args(argv)
    errors: list[str] = []
    for name in args.files:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        errors.extend(check_manifests(text, name))
    for compose in args.compose:
        errors.extend(check_compose(compose))
    for error in errors:
        print(error, file=sys.stderr)
    checked = len(args.files) + len(args.compose)
    print(f"validate: {checked} inputs, {len(errors)} errors", file=sys.stderr if errors else sys.stdout)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
