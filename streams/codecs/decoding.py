"""Bytes to typed messages in one pass, and a refusal a person can act on when they are not.

`decode(topic, value)` decodes and validates a message value with the topic's Struct
(streams/codecs/messages.py). msgspec's error (`Expected `int` >= 1 - at `$.lane``) becomes an
`InvalidInput` with citygate's reason code and a detail naming the field: `missing_field`,
`unknown_field`, `wrong_type`, `invalid_value`, `not_an_object`, `malformed_json`, `oversized`.
"""

from __future__ import annotations

import re

import msgspec

from streams.codecs.alerts import AlertMessage
from streams.codecs.forces import FORCES_DECODERS
from streams.codecs.messages import DECODERS, Message
from streams.domain.exceptions import InvalidInput

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"Object missing required field `(?P<field>[^`]*)`")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<field>[^`]*)`")
_TYPE = re.compile(r"Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`$")
_NAMES = {"object": "an object", "array": "an array", "str": "a string", "int": "an integer"}
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "null": "null"}


_ALERTS = msgspec.json.Decoder(AlertMessage)
# Every topic citygate consumes: the inputs, and the alert topics the command side and followers read back.
TYPED = {
    **DECODERS,
    "alerts": _ALERTS,
    "alerts.restricted": _ALERTS,
    "units.registry": FORCES_DECODERS["units.registry"],
}


def decode(topic: str, value: bytes | None, *, max_bytes: int) -> Message | AlertMessage:
    """The message on `topic` (logical name) that `value` holds; `InvalidInput` saying why not."""
    if value is None:
        raise InvalidInput("malformed_json", "message has no value (null)")
    if len(value) > max_bytes:
        raise InvalidInput("oversized", f"message is {len(value)} bytes; the limit is {max_bytes}")
    try:
        message: Message | AlertMessage = TYPED[topic].decode(value)
    except msgspec.ValidationError as exc:
        raise refusal(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidInput("malformed_json", f"not valid UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput("malformed_json", "JSON nested too deeply") from None
    return message


def refusal(error: str) -> InvalidInput:
    """citygate's reason for one msgspec validation error."""
    at = _AT.search(error)
    path = _path(at.group("path")) if at else ""
    text = error[: at.start()] if at else error
    missing = _MISSING.fullmatch(text)
    if missing:
        return InvalidInput("missing_field", f"field '{_join(path, missing.group('field'))}' is required")
    unknown = _UNKNOWN.fullmatch(text)
    if unknown:
        return InvalidInput(
            "unknown_field", f"field '{_join(path, unknown.group('field'))}' is not part of the schema"
        )
    wrong = _TYPE.fullmatch(text)
    if wrong:
        expected, got = wrong.group("expected"), wrong.group("got")
        if not path and expected == "object":
            return InvalidInput("not_an_object", f"expected a JSON object, got {_NAMES.get(got, got)}")
        return InvalidInput(
            "wrong_type", f"field '{path}' must be {_json_type(expected)}, got {_json_type(got)}"
        )
    if path == "schema_version":
        return InvalidInput(
            "invalid_value", "field 'schema_version' must be 1, the version this citygate reads"
        )
    if "multiple of 1" in text:  # an integer field (messages.whole) given a fraction
        return InvalidInput("wrong_type", f"field '{path}' must be an integer, got a fraction")
    return InvalidInput("invalid_value", f"field '{path}' {_reworded(text)}" if path else _reworded(text))


def _path(raw: str) -> str:
    """`$.candidates[0].text` → `candidates[0].text`."""
    return raw.removeprefix(".")


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field


def _json_type(name: str) -> str:
    return " or ".join(_JSON_TYPES.get(part.strip(), part.strip()) for part in name.split("|"))


def _reworded(text: str) -> str:
    """msgspec's constraint messages in the words of the schema: `Expected `int` >= 1` → `must be >= 1`."""
    if "(?:000[1-9]|00[1-9]" in text:  # the RFC 3339 pattern of every time field
        return "must be a real date and time in RFC 3339 with an offset (Z or +08:00)"
    if "A-Za-z0-9._:-" in text:  # the identifier pattern
        return "may hold only ASCII letters, digits and . _ : -"
    text = re.sub(r"^Expected `[^`]+` (that's )?", "must be ", text)
    text = text.replace("Invalid enum value", "is not one of the allowed values:")
    text = re.sub(r"\b([0-9]+)\.0\b", r"\1", text)  # integer fields are floats with no fraction
    return text.replace("must be of length", "must have a length").replace("must be matching", "must match")
