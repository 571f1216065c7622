"""The scenarios that ship with citygate, one JSON file each (docs/operators.md, "Scenarios").

Apart from streams/tools/scenario.py, which plays and verifies them with Kafka clients, so that naming,
listing and checking a scenario's name (the CLI does it while parsing its arguments) needs none.
"""

from __future__ import annotations

import difflib
import json
from importlib import resources
from typing import Any


class UnknownScenario(LookupError):
    """A scenario name none of the files has; the message names the closest and every known one."""

    def __init__(self, name: str, known: list[str]) -> None:
        closest = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        hint = f"; did you mean {closest[0]!r}?" if closest else "."
        super().__init__(f"no scenario {name!r}{hint} Known: {', '.join(known)}")
        self.name, self.known = name, known
        self.closest = closest[0] if closest else None


def available() -> list[str]:
    """Every scenario's name, sorted."""
    return sorted(
        p.name.removesuffix(".json") for p in resources.files(__name__).iterdir() if p.name.endswith(".json")
    )


def load(name: str) -> dict[str, Any]:
    """The scenario `name`; UnknownScenario when there is none."""
    path = resources.files(__name__) / f"{name}.json"
    if not name or "/" in name or not path.is_file():
        raise UnknownScenario(name, available())
    scenario: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return scenario
