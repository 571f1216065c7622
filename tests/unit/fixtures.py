"""Builders for valid domain inputs; tests change one field to make the case they need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def hit_message(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "schema_version": 1,
        "hit_id": "YZ-EC-0001-1764417600000-1",
        "checkpoint_id": "YZ-EC-0001",
        "lane": 2,
        "direction": "inbound",
        "event_time": (NOW - timedelta(seconds=2)).isoformat(),
        "plate_text": "苏K·12345",
        "plate_confidence": 0.93,
        "candidates": None,  # by default: the plate as read, plus an unrelated low-confidence reading
        "plate_colour": "blue",
        "vehicle_type": "car",
        "vehicle_colour": "white",
        "image_refs": ["s3://anpr-images/YZ-EC-0001/1.jpg"],
        "gateway_id": "gw-07",
    }
    message.update(changes)
    if message["candidates"] is None:
        message["candidates"] = [
            {"text": message["plate_text"], "confidence": 0.93},
            {"text": "沪B2345C", "confidence": 0.2},
        ]
    return {k: v for k, v in message.items() if v is not _DROP}


def entry_message(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "schema_version": 1,
        "entry_id": "WL-1",
        "plate": "苏K12345",
        "category": "stolen",
        "priority": 1,
        "reason": "车辆被盗",
        "source_agency": "扬州市公安局",
        "added_by": "officer-0042",
        "valid_from": (NOW - timedelta(days=1)).isoformat(),
        "valid_until": (NOW + timedelta(days=7)).isoformat(),
        "covert": False,
        "incident_id": None,
        "instructions": None,
    }
    message.update(changes)
    return {k: v for k, v in message.items() if v is not _DROP}


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


# Pass as a field's value to leave the field out.
_DROP = _Drop()
DROP = _DROP
