"""The dead-letter envelope: the original bytes, where they came from, and why citygate refused them."""

from __future__ import annotations

import base64
from datetime import datetime

from streams.domain.exceptions import REASON_CODES


def deadletter_message(
    *,
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int | None,
    key: bytes | None,
    value: bytes | None,
    code: str,
    detail: str,
    now: datetime,
    keep_bytes: int,
) -> dict[str, object]:
    """The `deadletter` value (schemas/deadletter.schema.json) for one refused input message."""
    if code not in REASON_CODES:
        raise ValueError(f"unknown dead-letter reason code {code!r}")
    kept = None if value is None else value[:keep_bytes]
    return {
        "schema_version": 1,
        "source": {
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "timestamp_ms": timestamp_ms,
            "key_b64": None if key is None else base64.b64encode(key[:keep_bytes]).decode("ascii"),
        },
        "reason": {"code": code, "detail": (detail or code)[:1000]},
        "value_b64": None if kept is None else base64.b64encode(kept).decode("ascii"),
        "value_size": 0 if value is None else len(value),
        "value_truncated": value is not None and len(value) > keep_bytes,
        "dead_lettered_at": now.isoformat(),
    }
