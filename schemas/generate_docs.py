"""Writes docs/contracts.md from the JSON Schemas in this folder: the readable page can never drift from the
contract, because it is made from it (tests/unit/test_contracts_doc.py fails when the committed page is not
what this prints).

    .venv/bin/python schemas/generate_docs.py > docs/contracts.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
# Public topics in the order streams/topics.py lists them, with their keys.
TOPICS = [
    ("anpr.hits", "checkpoint id"),
    ("patrol.reports", "unit id"),
    ("calls.110", "call id"),
    ("watchlist.entries", "entry id (compacted; a null value deletes the entry)"),
    ("operator.commands", "target id"),
    ("operators.registry", "operator id (compacted)"),
    ("cameras.registry", "camera key vendor:site:camera_id (compacted; a null value removes the camera)"),
    ("gateway.keys", "key id (compacted)"),
    ("cameras.status", "camera key vendor:site:camera_id (compacted)"),
    ("units.registry", "unit id (compacted; a unit is retired, not deleted)"),
    ("units.state", "unit id (compacted)"),
    ("dispatches", "dispatch id"),
    ("alerts", "alert id"),
    ("alerts.restricted", "alert id"),
    ("lockdowns", "lockdown id"),
    ("incidents", "incident id (compacted)"),
    ("command.results", "command id (compacted, and deleted after the retention)"),
    ("deadletter", "source topic"),
    ("audit", "subject"),
]


def load(topic: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((HERE / f"{topic}.schema.json").read_text(encoding="utf-8"))
    return schema


class Page:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs = schema.get("$defs", {})
        self.rows: list[tuple[str, str, str, str]] = []

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a local `$ref` (siblings of the ref override the definition, as in 2020-12)."""
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = self.resolve(self.defs[ref.removeprefix("#/$defs/")])
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def kind(self, node: dict[str, Any]) -> str:
        node = self.resolve(node)
        for key in ("oneOf", "anyOf"):
            if key in node:
                return " or ".join(self.kind(option) for option in node[key])
        if "const" in node:
            return f"`{json.dumps(node['const'], ensure_ascii=False)}`"
        kind = node.get("type", "any")
        if kind == "array":
            return f"array of {self.kind(node.get('items', {}))}"
        if isinstance(kind, list):
            return " or ".join(kind)
        return str(kind)

    def rule(self, node: dict[str, Any]) -> str:
        node = self.resolve(node)
        parts = []
        for key in ("oneOf", "anyOf"):
            for option in node.get(key, []):
                rule = self.rule(option)
                if rule:
                    parts.append(rule)
        if "enum" in node:
            parts.append(" \\| ".join(f"`{v}`" for v in node["enum"] if v is not None))
        if node.get("format") == "date-time" or node.get("pattern", "").startswith("^[0-9]{4}-"):
            parts.append("RFC 3339 time with offset")
        elif "pattern" in node:
            parts.append(f"`{node['pattern']}`")
        for low, high, unit in (
            ("minLength", "maxLength", " chars"),
            ("minimum", "maximum", ""),
            ("minItems", "maxItems", " items"),
        ):
            if low in node or high in node:
                parts.append(f"{node.get(low, 0)}..{node.get(high, '')}{unit}")
        if node.get("exclusiveMinimum") is not None:
            parts.append(f"> {node['exclusiveMinimum']}")
        if node.get("uniqueItems"):
            parts.append("unique")
        return "; ".join(dict.fromkeys(p for p in parts if p))

    def walk(self, node: dict[str, Any], prefix: str = "") -> None:
        node = self.resolve(node)
        required = set(node.get("required", ()))
        for name, child in node.get("properties", {}).items():
            if child is False:
                continue
            field = f"{prefix}{name}"
            resolved = self.resolve(child)
            description = " ".join(str(resolved.get("description", "")).split()).replace("|", "\\|")
            need = "yes" if name in required else "no"
            self.rows.append(
                (
                    field,
                    self.kind(child),
                    need,
                    f"{self.rule(child)}{' — ' if self.rule(child) and description else ''}{description}",
                )
            )
            for nested in self._objects(resolved):
                self.walk(nested, f"{field}.")

    def _objects(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        """The object schemas a field holds: itself, an option of it, or its items."""
        found = []
        for option in [node, *node.get("oneOf", ()), *node.get("anyOf", ())]:
            option = self.resolve(option)
            if option.get("type") == "object" and "properties" in option:
                found.append(option)
            items = option.get("items")
            if isinstance(items, dict):
                item = self.resolve(items)
                if item.get("type") == "object" and "properties" in item:
                    found.append(item)
        return found[:1]


def section(topic: str, key: str) -> list[str]:
    schema = load(topic)
    lines = [f"## {topic}", "", f"Key: {key}. {' '.join(str(schema.get('description', '')).split())}", ""]
    if "$ref" in schema and "properties" not in schema:
        lines.append(f"Each message is exactly a `{schema['$ref'].removesuffix('.schema.json')}` message.")
        return [*lines, ""]
    page = Page(schema)
    page.walk(schema)
    lines += ["| field | type | required | rule |", "| --- | --- | --- | --- |"]
    lines += [f"| `{field}` | {kind} | {need} | {rule} |" for field, kind, need, rule in page.rows]
    conditions = schema.get("allOf", [])
    if conditions:
        lines += ["", "By kind of message:", ""]
        for condition in conditions:
            when = condition.get("if", {}).get("properties", {})
            then = condition.get("then", {})
            what = ", ".join(f"`{k}` = `{v.get('const')}`" for k, v in when.items() if "const" in v)
            needs = ", ".join(f"`{name}`" for name in then.get("required", ()))
            absent = ", ".join(f"`{k}`" for k, v in then.get("properties", {}).items() if v is False)
            parts = [
                f"requires {needs}" if needs else "",
                f"has no {absent}" if absent else "",
                then.get("description", ""),
            ]
            lines.append(f"- {what}: " + "; ".join(p for p in parts if p) + ".")
    return [*lines, ""]


def render() -> str:
    lines = [
        "# Public topic contracts (v1)",
        "",
        "Generated from the JSON Schemas in `schemas/` by `schemas/generate_docs.py`; do not edit by",
        "hand (a test fails when this page and the schemas disagree). The schemas are the contract. Every",
        "message is a UTF-8 JSON object; times are RFC 3339 with an offset; every object has",
        "`additionalProperties: false` and `schema_version` 1. What a schema cannot say (plate grammar,",
        "times relative to now, a key equal to the id field) is checked in code, and input that fails it",
        "goes to `deadletter`.",
        "",
    ]
    for topic, key in TOPICS:
        lines += section(topic, key)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
