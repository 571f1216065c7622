"""A field reader for vendor payloads that collects every defect instead of raising at the first.

Vendors' records are decoded JSON (dicts, lists, str, int, float, bool, None). `Reader` pulls typed fields
out of one object; a missing required field or a value of the wrong type or out of bounds adds a defect
naming its path (`results[2].confidence: must be a number 0..100, got "high"`) and returns None, so a
mapping carries on and reports everything wrong with a post at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Nesting and list lengths a camera's record never needs; anything more is refused, not walked.
MAX_ITEMS = 1000
MAX_TEXT = 512


def shown(value: object) -> str:
    """A value as a defect quotes it: short, never the whole of a large one."""
    text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def kind(value: object) -> str:
    """The JSON type of a decoded value, as a defect names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, Mapping) else type(value).__name__


class Reader:
    """Typed access to one JSON object at `path`, defects collected in the shared `defects` list."""

    def __init__(self, obj: object, path: str, defects: list[str]) -> None:
        self.path = path
        self.defects = defects
        self.valid = isinstance(obj, Mapping)
        self.obj: Mapping[str, Any] = obj if isinstance(obj, Mapping) else {}
        if not self.valid:
            self.defect(f"must be an object, got {kind(obj)}")

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def defect(self, text: str, name: str = "") -> None:
        where = self.at(name) if name else (self.path or "body")
        self.defects.append(f"{where}: {text}")

    def _get(self, name: str, required: bool) -> Any:
        value = self.obj.get(name)
        if value is None:
            if required:
                self.defect("is required", name)
            return None
        return value

    def text(
        self, name: str, *, required: bool = False, max_length: int = MAX_TEXT, empty_is_none: bool = False
    ) -> str | None:
        """A non-empty string of at most `max_length` characters; with `empty_is_none`, "" is taken as
        absent (vendors write `"region": ""` when they detected none)."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.defect(f"must be a string, got {kind(value)}", name)
            return None
        if not value and empty_is_none and not required:
            return None
        if not value or len(value) > max_length:
            self.defect(f"must be 1..{max_length} characters, got {len(value)}", name)
            return None
        return value

    def ident(self, name: str, *, required: bool = False, max_length: int = 64) -> str | None:
        """An id vendors give as a string or a whole number (OpenALPR's camera_id is a number)."""
        value = self._get(name, required)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None:
            return None
        if not isinstance(value, str):
            self.defect(f"must be a string or an integer, got {kind(value)}", name)
            return None
        if not value or len(value) > max_length:
            self.defect(f"must be 1..{max_length} characters, got {len(value)}", name)
            return None
        return value

    def number(
        self, name: str, *, required: bool = False, low: float = float("-inf"), high: float = float("inf")
    ) -> float | None:
        """A finite number within [low, high]."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self.defect(f"must be a number, got {kind(value)}", name)
            return None
        if not low <= value <= high:
            self.defect(f"must be within {low:g}..{high:g}, got {shown(value)}", name)
            return None
        return float(value)

    def flag(self, name: str, *, required: bool = False) -> bool | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.defect(f"must be true or false, got {kind(value)}", name)
            return None
        return value

    def items(self, name: str, *, required: bool = False, max_items: int = MAX_ITEMS) -> list[Any]:
        """A list of at most `max_items` (absent: empty)."""
        value = self._get(name, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.defect(f"must be an array, got {kind(value)}", name)
            return []
        if len(value) > max_items:
            self.defect(f"must have at most {max_items} items, got {len(value)}", name)
            return []
        return value

    def child(self, name: str, *, required: bool = False) -> Reader | None:
        value = self._get(name, required)
        return None if value is None else Reader(value, self.at(name), self.defects)

    def element(self, name: str, index: int, value: object) -> Reader:
        return Reader(value, f"{self.at(name)}[{index}]", self.defects)

    def first_name(self, name: str, field: str) -> str | None:
        """The `field` of the first element of the list `name` ([{"name": "silver", "confidence": 90}, …]):
        the vendors' ranked guesses at a vehicle's colour or type; None when absent or not of that shape."""
        for value in self.items(name)[:1]:
            if isinstance(value, Mapping) and isinstance(value.get(field), str) and value[field]:
                return str(value[field])[:32]
        return None
