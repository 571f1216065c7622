"""Field readers: the time of a decoded input message, and lenient readers for citygate's own outputs.

Input messages are decoded and type-checked by their typed decoders (streams/codecs/); `moment` turns a
time they matched against the schemas' RFC 3339 pattern into an aware datetime. The other readers pull one
typed field out of a decoded JSON object (the console reads alerts, incidents and lockdowns with them) and
raise `InvalidInput` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime

from streams.domain.exceptions import InvalidInput

# RFC 3339 with a mandatory offset, in its one canonical spelling (as the schemas' dateTime): naive times are
# refused, not guessed. [0-9], not \d, which also matches full-width digits; fromisoformat checks the
# calendar.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-5][0-9])"
)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def check_keys(obj: Mapping[str, object], required: Collection[str], allowed: Collection[str]) -> None:
    """Refuse a missing required field or a field the schema does not know."""
    for name in required:
        if name not in obj:
            raise InvalidInput("missing_field", f"field '{name}' is required")
    if len(obj) > len(required):
        for name in obj:
            if name not in allowed:
                raise InvalidInput("unknown_field", f"field '{_shown(name)}' is not part of the schema")


def text(
    obj: Mapping[str, object],
    name: str,
    *,
    min_len: int = 1,
    max_len: int,
    pattern: re.Pattern[str] | None = None,
) -> str:
    value = obj[name]
    if type(value) is not str:
        raise InvalidInput("wrong_type", f"field '{name}' must be a string, got {_type_name(value)}")
    if not min_len <= len(value) <= max_len:
        raise InvalidInput(
            "invalid_value", f"field '{name}' must have {min_len}..{max_len} characters, got {len(value)}"
        )
    if pattern is not None and pattern.fullmatch(value) is None:
        raise InvalidInput("invalid_value", f"field '{name}' has characters outside {pattern.pattern}")
    return value


def integer(obj: Mapping[str, object], name: str, *, minimum: int, maximum: int) -> int:
    value = obj[name]
    if type(value) is float and value.is_integer():
        value = int(value)  # JSON Schema counts 2.0 as an integer; so do we.
    if type(value) is not int:
        raise InvalidInput("wrong_type", f"field '{name}' must be an integer, got {_type_name(value)}")
    if not minimum <= value <= maximum:
        raise InvalidInput("invalid_value", f"field '{name}' must be in {minimum}..{maximum}, got {value}")
    return value


def choice(obj: Mapping[str, object], name: str, options: Collection[str]) -> str:
    value = obj[name]
    if type(value) is not str:
        raise InvalidInput("wrong_type", f"field '{name}' must be a string, got {_type_name(value)}")
    if value not in options:
        raise InvalidInput(
            "invalid_value",
            f"field '{name}' must be one of {', '.join(sorted(options))}; got {_shown(value)}",
        )
    return value


def timestamp(obj: Mapping[str, object], name: str) -> datetime:
    """An RFC 3339 time with an explicit offset, as an aware datetime."""
    value = obj[name]
    if type(value) is not str:
        raise InvalidInput(
            "wrong_type", f"field '{name}' must be an RFC 3339 string, got {_type_name(value)}"
        )
    if _RFC3339.fullmatch(value) is None or value.endswith("-00:00"):
        raise InvalidInput(
            "invalid_value",
            f"field '{name}' must be RFC 3339 with an offset (Z or +08:00), got {_shown(value)}",
        )
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "invalid_value", f"field '{name}' is not a real date and time: {_shown(value)}"
        ) from None


def moment(text: str, name: str) -> datetime:
    """A time the codecs already matched against the schemas' RFC 3339 pattern, as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "invalid_value", f"field '{name}' is not a real date and time: {_shown(text)}"
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput("invalid_value", f"field '{name}' must have an offset (Z or +08:00)")
    return parsed


def optional_moment(text: str | None, name: str) -> datetime | None:
    return None if text is None else moment(text, name)


def array(obj: Mapping[str, object], name: str, *, max_items: int) -> list[object]:
    value = obj.get(name, [])
    if type(value) is not list:
        raise InvalidInput("wrong_type", f"field '{name}' must be an array, got {_type_name(value)}")
    if len(value) > max_items:
        raise InvalidInput(
            "invalid_value", f"field '{name}' may hold at most {max_items} items, got {len(value)}"
        )
    return value


def as_object(value: object, name: str) -> Mapping[str, object]:
    if type(value) is not dict:
        raise InvalidInput("wrong_type", f"{name} must be an object, got {_type_name(value)}")
    return value
