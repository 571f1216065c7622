"""docs/operations.md documents every setting with its real default: a row of the "Configure" table names
the variable (`KAFKA_BOOTSTRAP`, `CITYGATE_<FIELD>`) and the default `Settings` has for it. A setting added
to streams/settings.py without a row, or a default changed without the docs, fails here."""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from streams.settings import Settings, variable_name

OPERATIONS = Path(__file__).parents[2] / "docs" / "operations.md"
ROW = re.compile(r"^\| (?P<names>`[A-Z_]+`(?: / `[A-Z_]+`)*) \| (?P<defaults>[^|]+) \|", re.M)


def _documented() -> dict[str, str]:
    found: dict[str, str] = {}
    for row in ROW.finditer(OPERATIONS.read_text(encoding="utf-8")):
        names = re.findall(r"`([A-Z_]+)`", row["names"])
        defaults = [d.strip().strip("`") for d in row["defaults"].split(" / ")]
        if len(defaults) != len(names):
            defaults = [row["defaults"].strip()] * len(names)
        found.update(zip(names, defaults, strict=True))
    return found


def _variable(name: str) -> str:
    return variable_name(name)


def _same(documented: str, default: object) -> bool:
    if documented in ("empty", "") and default in ("", None):
        return True
    if isinstance(default, bool):
        return documented.lower() in (str(default).lower(), str(int(default)))
    if isinstance(default, int | float):
        try:
            return float(documented) == float(default)
        except ValueError:
            return False
    return documented == str(default)


SETTINGS = [f for f in fields(Settings)]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda f: _variable(f.name))
def test_every_setting_has_a_row_with_its_default(setting: object) -> None:
    name = setting.name  # type: ignore[attr-defined]
    documented = _documented()
    variable = _variable(name)
    assert variable in documented, f"{variable} has no row in docs/operations.md (Configure)"
    default = setting.default  # type: ignore[attr-defined]
    if default is MISSING:
        default = setting.default_factory()  # type: ignore[attr-defined]
    assert _same(documented[variable], default), (
        f"docs/operations.md says {variable} defaults to {documented[variable]!r}; Settings has {default!r}"
    )
