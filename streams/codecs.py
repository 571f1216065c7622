"""Bytes in, bytes out: the only module that knows the wire format (UTF-8 JSON via orjson).

Input topics are consumed as raw bytes and decoded here, inside the agent, so that a malformed message
becomes a dead letter with a reason. (A Faust value_type would fail in Faust's own decoder, which logs and
skips the event: the message would be lost silently.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from streams.domain.exceptions import InvalidInput
from streams.domain.matching.watchlist import WatchlistIndex, parse_entry

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
        raise InvalidInput("wrong_type", "message key is not UTF-8 text") from None


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
) -> bool:
    """Apply one `watchlist.entries` record to `index`: an entry upserts, a tombstone deletes. Returns False
    for a record that is not a valid entry (the index is left as it was). `listed_at` is the record's
    broker timestamp."""
    try:
        entry_id = decode_key(key)
        if value is None:
            if entry_id is not None:
                index.remove(entry_id)
            return entry_id is not None
        index.upsert(parse_entry(entry_id, decode_object(value, max_bytes=max_bytes), listed_at=listed_at))
    except InvalidInput:
        return False
    return True


def broker_time(timestamp_ms: int | None) -> datetime | None:
    """A record's broker timestamp (epoch ms; -1 or None when there is none) as an aware datetime."""
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
