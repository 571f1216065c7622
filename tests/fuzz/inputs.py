"""Hostile input for every topic citygate consumes, as hypothesis strategies: each draws a (key, value)
that citygate must refuse, and says how it was spoiled.

The spoiling starts from a valid message of the topic (`valid(topic, now, n)`, unique by `n`) and breaks it
one way: random bytes, truncated or wrong-shaped JSON, deep nesting, invalid UTF-8, a field missing, a field
the schema does not know, a field of the wrong type, an absurd number, an absurd time, or a bad key. A
mutation that could leave the message valid (a wrong type the schema happens to allow) is checked against
the JSON Schema and discarded when it would pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from hypothesis import assume
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parents[2] / "schemas"
TOPICS = (
    "anpr.hits",
    "watchlist.entries",
    "calls.110",
    "patrol.reports",
    "operator.commands",
    "alerts",
    "alerts.restricted",
)
# The field each topic's key must equal.
KEY_FIELD = {
    "anpr.hits": "checkpoint_id",
    "watchlist.entries": "entry_id",
    "calls.110": "call_id",
    "patrol.reports": "unit_id",
    "operator.commands": "target_id",
    "alerts": "alert_id",
    "alerts.restricted": "alert_id",
}
TIME_FIELDS = {
    "anpr.hits": ("event_time",),
    "watchlist.entries": ("valid_from", "valid_until"),
    "calls.110": ("received_at",),
    "patrol.reports": ("at",),
    "operator.commands": ("issued_at",),
}
ABSURD_TIMES = (
    "1970-01-01T00:00:00Z",
    "1999-12-31T23:59:59+08:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00",
)
ABSURD_NUMBERS = (1e308, -1e308, 2**70, -(2**70), -1, 1e-300, 17, 101)
WRONG_VALUES: tuple[object, ...] = ("x", 7, 2.5, True, None, [], {}, [1, "a"], {"a": 1})
# Values that are JSON but not an object, and nesting deep enough to trouble a recursive decoder.
SHAPES = (
    b"[]",
    b'"text"',
    b"42",
    b"null",
    b"true",
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000,
    # Well-formed JSON objects nested past any recursive decoder's stack, under an unknown and a known field.
    b'{"schema_version":1,"deep":' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    b'{"plate_text":' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}",
)
BAD_UTF8 = b'"schema_version":1,"\xff\xfe":"\xc3\x28"'  # bytes no UTF-8 decoder takes


@cache
def _registry() -> Registry:
    resources = [Resource.from_contents(json.loads(p.read_text())) for p in SCHEMAS.glob("*.schema.json")]
    return Registry().with_resources((r.id(), r) for r in resources)  # type: ignore[misc]


@cache
def schema_validator(topic: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{topic}.schema.json").read_text())
    return Draft202012Validator(
        schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _example(topic: str, name: str) -> dict[str, Any]:
    folder = "alerts" if topic == "alerts.restricted" else topic
    value: dict[str, Any] = json.loads(
        (SCHEMAS / "examples" / folder / "valid" / f"{name}.json").read_text("utf-8")
    )
    return value


def valid(topic: str, now: datetime, n: int) -> tuple[bytes, dict[str, Any]]:
    """A valid message of `topic` dated `now`, with ids unique by `n`: (key, value)."""
    at = (now - timedelta(seconds=1)).isoformat()
    if topic == "anpr.hits":
        value = {
            **_example(topic, "maximal"),
            "hit_id": f"fz-{n}",
            "checkpoint_id": f"FZ-{n}",
            "event_time": at,
        }
        value["plate_text"] = "苏K12345"
        value["candidates"] = [{"text": "苏K12345", "confidence": 0.9}]
    elif topic == "watchlist.entries":
        value = {
            **_first(topic),
            "entry_id": f"WL-FZ-{n}",
            "valid_from": (now - timedelta(days=1)).isoformat(),
            "valid_until": (now + timedelta(days=1)).isoformat(),
        }
    elif topic == "calls.110":
        value = {
            **_example(topic, "lotus-pond-armed-robbery-on-foot"),
            "call_id": f"110-FZ-{n}",
            "received_at": at,
        }
        value.update(category="theft", suspects=1, armed=False)
    elif topic == "patrol.reports":
        value = {**_example(topic, "position-minimal"), "report_id": f"r-fz-{n}", "at": at}
    elif topic == "operator.commands":
        value = {**_example(topic, "staff-point"), "command_id": f"cmd-fz-{n}", "issued_at": at}
    else:
        value = {
            **_example("alerts", "maximal"),
            "alert_id": f"al-{n:024x}",
            "created_at": at,
            "event_time": at,
        }
    return str(value[KEY_FIELD[topic]]).encode(), value


def _first(topic: str) -> dict[str, Any]:
    path = sorted((SCHEMAS / "examples" / topic / "valid").glob("*.json"))[0]
    value: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return value


Bad = tuple[bytes | None, bytes | None, str]


def bad_inputs(topic: str, now: datetime) -> st.SearchStrategy[Bad]:
    """(key, value, how it was spoiled) for one message of `topic` that citygate must refuse."""
    return st.integers(0, 10**9).flatmap(lambda n: _spoiled(topic, now, n))


def _spoiled(topic: str, now: datetime, n: int) -> st.SearchStrategy[Bad]:
    key, message = valid(topic, now, n)
    raw = orjson.dumps(message)
    fields = sorted(message)
    required = sorted(schema_validator(topic).schema.get("required", []))
    if topic == "alerts.restricted":
        required = sorted(schema_validator("alerts").schema.get("required", []))
    kinds: list[st.SearchStrategy[Bad]] = [
        st.binary(max_size=200).map(lambda b: (key, b, "random bytes")),
        st.integers(1, max(1, len(raw) - 2)).map(lambda cut: (key, raw[:cut], "truncated JSON")),
        st.sampled_from(SHAPES).map(lambda v: (key, v, "wrong-shaped JSON")),
        st.just((key, raw.replace(b'"schema_version":1', BAD_UTF8, 1), "invalid UTF-8")),
        st.sampled_from(required).map(lambda f: (key, orjson.dumps(_drop(message, f)), f"missing {f}")),
        st.just((key, orjson.dumps({**message, "x_unknown": 1}), "unknown field")),
        st.tuples(st.sampled_from(fields), st.sampled_from(WRONG_VALUES)).map(
            lambda fv: (key, orjson.dumps({**message, fv[0]: fv[1]}), f"wrong type {fv[0]}")
        ),
        st.sampled_from([None, b"", b"\xff\xfe", b"someone-else", key + b"\n"]).map(
            lambda k: (k, raw, f"bad key {k!r}")
        ),
    ]
    numeric = [f for f in fields if type(message[f]) in (int, float) and f != "schema_version"]
    if numeric:
        kinds.append(
            st.tuples(st.sampled_from(numeric), st.sampled_from(ABSURD_NUMBERS)).map(
                lambda fv: (key, _dumps({**message, fv[0]: fv[1]}), f"absurd {fv[0]}")
            )
        )
    times = [f for f in TIME_FIELDS.get(topic, ()) if message.get(f) is not None]
    if times:
        kinds.append(
            st.tuples(st.sampled_from(times), st.sampled_from(ABSURD_TIMES)).map(
                lambda fv: (key, orjson.dumps({**message, fv[0]: fv[1]}), f"absurd {fv[0]}")
            )
        )
    return st.one_of(kinds).filter(lambda bad: _is_refusable(topic, key, bad))


def _drop(message: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != field}


def _dumps(value: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(value, ensure_ascii=False).encode()


def _is_refusable(topic: str, key: bytes, bad: Bad) -> bool:
    """Whether the spoiled message really is invalid (or keyed wrongly): schema-valid ones with the right key
    are left out unless the spoiling is one the schema cannot see (a time, a key)."""
    bad_key, value, how = bad
    if bad_key != key or how in ("unknown field", "invalid UTF-8") or how.startswith("missing"):
        return True  # invalid by construction: no schema check needed
    if how.startswith("absurd") and any(how.endswith(f) for f in TIME_FIELDS.get(topic, ())):
        return True
    try:
        decoded = orjson.loads(value) if value is not None else None
    except orjson.JSONDecodeError:
        return True
    if not isinstance(decoded, dict):
        return True
    schema = "alerts" if topic == "alerts.restricted" else topic
    return not schema_validator(schema).is_valid(decoded)


def assume_refusable(check: Callable[[], bool]) -> None:
    assume(check())
