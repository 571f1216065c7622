"""Bytes in, bytes out: the only package that knows the wire format (UTF-8 JSON).

Input topics are consumed as raw bytes and decoded here, inside the handler, so that a malformed message
becomes a dead letter with a reason. (A Faust value_type would fail in Faust's own decoder, which logs and
skips the event: the message would be lost silently.) Each input message is decoded and type-checked in
one pass by its typed decoder (`messages.py`, `decoding.py`, msgspec); the `parse_*` functions add the
domain's checks (`check_hit`, ...) and give the domain's record. Outputs are encoded with orjson.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson

from streams.codecs.alerts import AlertMessage
from streams.codecs.decoding import decode
from streams.codecs.forces import UnitMessage
from streams.codecs.messages import (
    READINGS,
    CallMessage,
    CommandMessage,
    EntryMessage,
    HitMessage,
    ReportMessage,
)
from streams.domain.commands import COMMANDS, OperatorCommand, check_command
from streams.domain.exceptions import InvalidInput
from streams.domain.forces.units import Unit, unit_from
from streams.domain.incidents.calls import Call, check_call
from streams.domain.incidents.reports import Report, check_report
from streams.domain.matching.hits import ANY_KEY, Hit, HitLimits, check_hit
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex, check_entry
from streams.domain.timebounds import TIMELESS, TimeBounds

# Messages larger than this are refused unread where no setting says otherwise (tools, tests); the worker
# uses CITYGATE_MAX_MESSAGE_BYTES.
DEFAULT_MAX_BYTES = 1024 * 1024

# Who changed a watchlist entry and why, on a deletion (a tombstone has no body to say so).
ACTOR_HEADER = "citygate-actor"
REASON_HEADER = "citygate-reason"


def decode_object(value: bytes | None, *, max_bytes: int) -> dict[str, object]:
    """Parse one message value as a JSON object, refusing oversized and malformed input."""
    if value is None:
        raise InvalidInput("malformed_json", "message has no value (null)")
    if len(value) > max_bytes:
        raise InvalidInput("oversized", f"message is {len(value)} bytes; the limit is {max_bytes}")
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("malformed_json", f"not valid UTF-8 JSON: {exc}") from None
    if type(obj) is not dict:
        raise InvalidInput("not_an_object", f"expected a JSON object, got {_json_type(obj)}")
    return obj


def decode_key(key: bytes | None) -> str | None:
    """Message keys are UTF-8 text; anything else is refused."""
    if key is None:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("key_mismatch", "message key is not UTF-8 text, so it is no id") from None


def encode(message: dict[str, object]) -> bytes:
    return orjson.dumps(message)


def _json_type(obj: object) -> str:
    names = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return "null" if obj is None else names.get(type(obj), type(obj).__name__)


def apply_watchlist_record(
    index: WatchlistIndex,
    key: bytes | None,
    value: bytes | None,
    *,
    max_bytes: int,
    listed_at: datetime | None = None,
    bounds: TimeBounds = TIMELESS,
    signer: str | None = None,
    proof: bytes | None = None,
    decoded: EntryMessage | None = None,
) -> bool:
    """Apply one `watchlist.entries` record to `index`: an entry upserts, a tombstone deletes. Returns False
    for a record that is not a valid entry (the index is left as it was). `listed_at` is the record's
    broker timestamp; `signer` and `proof` say who signed it (WatchlistEntry); `decoded`: `value` already
    decoded by `decode_entry` (a replica loading a million entries decodes each once)."""
    try:
        if value is None:
            index.remove(tombstone_key(key))
            return True
        entry_id = decode_key(key)
        message = decode_entry(value, max_bytes=max_bytes) if decoded is None else decoded
        entry = check_entry(entry_id, message, listed_at=listed_at, bounds=bounds, signer=signer, proof=proof)
        index.upsert(entry)
    except InvalidInput:
        return False
    return True


_ENTRY_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def tombstone_key(key: bytes | None) -> str:
    """The entry id a watchlist tombstone deletes: its key, which must be an entry id (a tombstone has no
    body to say what it deletes)."""
    entry_id = decode_key(key)
    if entry_id is None or _ENTRY_ID.fullmatch(entry_id) is None:
        raise InvalidInput(
            "key_mismatch", f"a watchlist tombstone needs an entry id as its key, got {entry_id!r}"
        )
    return entry_id


def broker_time(timestamp_ms: int | None) -> datetime | None:
    """A record's broker timestamp (epoch ms; -1 or None when there is none) as an aware datetime."""
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


# ------------------------------------------------------------------------ input messages, typed and checked
# Each takes the bytes off the wire, or (tools, tests) an object to encode first. Times are judged against
# `ref` (the record's broker time) with `bounds`; the defaults judge the contract alone (tools, tests), and
# the worker passes its own (Settings.time_bounds()).

Value = bytes | Mapping[str, object] | object


def _wire(value: Value) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits, as a hostile producer may send: the stdlib encodes it
        return json.dumps(value, ensure_ascii=False).encode()


def parse_hit(
    value: Value,
    *,
    now: datetime,
    limits: HitLimits = HitLimits(),  # noqa: B008
    arrived_at: datetime | None = None,
    arrived_s: float | None = None,
    key: str | None | object = ANY_KEY,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Hit:
    """An `anpr.hits` value (and, when given, its decoded key) as a `Hit`; `InvalidInput` saying why not."""
    message = decode("anpr.hits", _wire(value), max_bytes=max_bytes)
    assert isinstance(message, HitMessage)  # noqa: S101 - the topic's decoder gives its struct
    return check_hit(message, now=now, limits=limits, arrived_at=arrived_at, arrived_s=arrived_s, key=key)


def hit_readings(value: bytes | None) -> tuple[str, ...]:
    """The texts a hit was read as (plate_text, then the candidates), decoding nothing else; () for a
    value that is no hit at all. For scans that only ask whether a hit can match."""
    if value is None:
        return ()
    try:
        readings = READINGS.decode(value)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return ()
    return (readings.plate_text, *(c.text for c in readings.candidates))


def read_alert(key: str | None, value: bytes | None, *, topic: str, max_bytes: int) -> dict[str, Any]:
    """An alert read back from `topic` (alerts or alerts.restricted), checked against the alerts schema and
    its key; returned as the JSON object it is (the alert book keeps it as written). `InvalidInput` if not."""
    message = decode(topic, value, max_bytes=max_bytes)
    assert isinstance(message, AlertMessage)  # noqa: S101 - the alert topics' decoder gives alerts
    if key != message.alert_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from alert_id {message.alert_id!r}")
    if message.sightings is not None and len(set(message.sightings.lanes)) != len(message.sightings.lanes):
        raise InvalidInput("invalid_value", "field 'sightings.lanes' must not repeat a lane")
    alert: dict[str, Any] = orjson.loads(value)  # type: ignore[arg-type]  # decoded above: not None
    return alert


def parse_entry(
    key: str | None,
    value: Value,
    *,
    listed_at: datetime | None = None,
    bounds: TimeBounds = TIMELESS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    signer: str | None = None,
    proof: bytes | None = None,
) -> WatchlistEntry:
    """A `watchlist.entries` value (its key decoded) as a `WatchlistEntry`; `InvalidInput` saying why not."""
    message = decode_entry(_wire(value), max_bytes=max_bytes)
    return check_entry(key, message, listed_at=listed_at, bounds=bounds, signer=signer, proof=proof)


def decode_entry(value: bytes | None, *, max_bytes: int) -> EntryMessage:
    """A `watchlist.entries` value, typed and bounded by the schema (nothing the domain checks yet)."""
    message = decode("watchlist.entries", value, max_bytes=max_bytes)
    assert isinstance(message, EntryMessage)  # noqa: S101
    return message


def parse_call(
    key: str | None,
    value: Value,
    *,
    ref: datetime | None = None,
    bounds: TimeBounds = TIMELESS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Call:
    """A `calls.110` value as a `Call`; `InvalidInput` saying why not."""
    message = decode("calls.110", _wire(value), max_bytes=max_bytes)
    assert isinstance(message, CallMessage)  # noqa: S101
    return check_call(key, message, ref=ref, bounds=bounds)


def parse_report(
    key: str | None,
    value: Value,
    *,
    ref: datetime | None = None,
    bounds: TimeBounds = TIMELESS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Report:
    """A `patrol.reports` value as a `Report`; `InvalidInput` saying why not."""
    message = decode("patrol.reports", _wire(value), max_bytes=max_bytes)
    assert isinstance(message, ReportMessage)  # noqa: S101
    return check_report(key, message, ref=ref, bounds=bounds)


def parse_unit(key: str | None, value: Value, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Unit:
    """A `units.registry` value as a `Unit`; `InvalidInput` saying why not."""
    message = decode("units.registry", _wire(value), max_bytes=max_bytes)
    assert isinstance(message, UnitMessage)  # noqa: S101
    return unit_from(message, key)


def parse_command(
    key: str | None,
    value: Value,
    *,
    ref: datetime | None = None,
    bounds: TimeBounds = TIMELESS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> OperatorCommand:
    """An `operator.commands` value as an `OperatorCommand`; `InvalidInput` saying why not."""
    message = decode("operator.commands", _wire(value), max_bytes=max_bytes)
    assert isinstance(message, CommandMessage)  # noqa: S101
    return check_command(key, message, ref=ref, bounds=bounds)


@dataclass(frozen=True, slots=True)
class CommandHeader:
    """What can be read of an operator command whatever else is wrong with it: enough to answer it. Each
    field is None unless it is what the schema allows; `operator_id` is the signer the signature names,
    else the message's operator_id (claimed, not checked)."""

    command_id: str
    command: str | None
    target_id: str | None
    operator_id: str | None


def command_header(value: bytes | None, *, max_bytes: int) -> CommandHeader | None:
    """The header of an `operator.commands` value, or None when it has no valid command_id (not a JSON
    object within `max_bytes`, or no identifier there): such a message can only be dead-lettered."""
    try:
        message = decode_object(value, max_bytes=max_bytes)
    except InvalidInput:
        return None
    command_id = _identifier(message.get("command_id"))
    if command_id is None:
        return None
    command = message.get("command")
    signature = message.get("signature")
    signer = _identifier(signature.get("signer")) if isinstance(signature, dict) else None
    operator = message.get("operator_id")
    claimed = operator if isinstance(operator, str) and 1 <= len(operator) <= 100 else None
    return CommandHeader(
        command_id,
        command if isinstance(command, str) and command in COMMANDS else None,
        _identifier(message.get("target_id")),
        signer or claimed,
    )


def _identifier(value: object) -> str | None:
    return value if isinstance(value, str) and _ENTRY_ID.fullmatch(value) else None
