"""The alert book's memory: it keeps every alert for `alert_book_days` on the worker holding the command
side and on its standby, so what one entry costs decides how a worker's RSS grows (the soak's memory
target). An entry must cost its alert's JSON text, not the decoded message's ~45 objects."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any

import orjson

from streams import topics
from streams.settings import Settings
from streams.worker.command_side import AlertBook
from tests.unit.worker.command_side.test_router import alert

ALERTS = 2_000


def read_back(n: int) -> tuple[str, dict[str, Any]]:
    """Alert `n` as the command side reads it back (`codecs.read_alert`: orjson's decoding of the record)."""
    value = alert(alert_id=f"alert-{n:06d}")
    return value["alert_id"], orjson.loads(orjson.dumps(value))


def deep_size(value: object, seen: set[int] | None = None) -> int:
    """The bytes `value` holds, containers and their contents (shared objects once): what the book keeps
    alive, measured on the table itself, so no other thread's allocations can count (tracemalloc would)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, list | tuple | set):
        size += sum(deep_size(v, seen) for v in value)
    return size


def test_a_booked_alert_costs_about_its_json_text() -> None:
    table: dict[str, Any] = {}
    book = AlertBook(Settings(topic_prefix="t."), table)
    size = len(orjson.dumps(read_back(0)[1]))
    for n in range(ALERTS):
        _, message = read_back(n)
        book.record(topics.ALERTS, message)
    seen: set[int] = set()
    per_alert = sum(deep_size(entry, seen) for entry in table.values()) / ALERTS
    # The entry's string and its small dict (~1.5x the JSON), not the decoded message (~3.5x: 5 KB here).
    assert per_alert < 2 * size, f"{per_alert:.0f} bytes per booked alert of {size} bytes of JSON"
    # No object tree per alert for the collector to walk (the decoded message was 6 containers).
    containers = sum(1 for entry in table.values() for v in entry.values() if isinstance(v, dict | list))
    assert containers / ALERTS < 1


def test_the_book_gives_back_the_alert_as_booked() -> None:
    book = AlertBook(Settings(topic_prefix="t."), {})
    alert_id, message = read_back(1)
    book.record(topics.ALERTS_RESTRICTED, message)
    assert book.latest(alert_id) == message
    assert book.book[alert_id]["topic"] == topics.ALERTS_RESTRICTED
    assert book.latest("alert-none") is None


def test_entries_an_older_worker_wrote_are_still_read_and_swept() -> None:
    """A changelog written before the book kept JSON text holds the decoded message and no created_at."""
    old_id, old = read_back(2)
    table: dict[str, dict[str, Any]] = {old_id: {"topic": topics.ALERTS, "alert": old}}
    book = AlertBook(Settings(topic_prefix="t."), table)
    assert book.latest(old_id) == old
    created = datetime.fromisoformat(old["created_at"])
    new_id, new = read_back(3)
    new["created_at"] = (created + timedelta(days=book.keep.days)).isoformat()
    book.record(topics.ALERTS, new)
    book.sweep(created + book.keep + timedelta(hours=1))
    assert old_id not in table and new_id in table
