"""docs/contracts.md is generated from the schemas: the page and the contract cannot disagree."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_contracts_page_is_what_the_schemas_generate() -> None:
    render = runpy.run_path(str(ROOT / "schemas" / "generate_docs.py"))["render"]
    committed = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    assert committed == render(), "run: .venv/bin/python schemas/generate_docs.py > docs/contracts.md"


def test_every_public_topic_with_a_schema_is_on_the_page() -> None:
    page = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    for schema in sorted((ROOT / "schemas").glob("*.schema.json")):
        assert f"## {schema.name.removesuffix('.schema.json')}\n" in page
