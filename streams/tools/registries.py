"""Compacted registries managed from the CLI (cameras, gateway keys, units): written so that a command
exits 0 only once the brokers have the change, and read back as the last valid record per key.

Also the import files' common shape: a CSV is taken whole or not at all, every bad row named.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import msgspec

from streams.domain.exceptions import InvalidInput
from streams.settings import Settings
from streams.tools.exceptions import AdminError
from streams.tools.kafka_io import producer, read_to_end

ACK_TIMEOUT_S = 30.0
T = TypeVar("T")


class ImportRefused(ValueError):
    """An import file with rows that cannot be records: nothing was written; `defects` names each."""

    def __init__(self, defects: list[str]) -> None:
        more = f" (+{len(defects) - 1} more)" if len(defects) > 1 else ""
        super().__init__(f"{defects[0]}{more}; nothing was imported")
        self.defects = defects


def produce(settings: Settings, topic: str, records: Sequence[tuple[bytes, bytes | None]]) -> int:
    """Send and wait for every acknowledgement; `AdminError` (one line) when the brokers did not take one,
    so a command never exits 0 for a change that is not there."""
    from kafka.errors import KafkaError

    kafka = producer(settings)
    try:
        futures = [kafka.send(settings.topic(topic), key=key, value=value) for key, value in records]
        kafka.flush(timeout=ACK_TIMEOUT_S)
        for future in futures:
            future.get(timeout=ACK_TIMEOUT_S)
    except KafkaError as error:
        raise AdminError(f"the brokers did not take the change to {settings.topic(topic)}: {error}") from None
    finally:
        kafka.close()
    return len(records)


def read_registry(settings: Settings, topic: str, parse: Callable[[bytes, str], T]) -> dict[str, T]:
    """The last record per key of a compacted `topic`, each made by `parse(value, key)`; tombstones remove
    their key, and records `parse` refuses (as their followers would) are left out."""
    found: dict[str, T] = {}
    for key, value in read_to_end(settings, topic):
        name = key.decode("utf-8", "replace") if key else ""
        if value is None:
            found.pop(name, None)
            continue
        try:
            found[name] = parse(value, name)
        except (InvalidInput, msgspec.DecodeError, msgspec.ValidationError):
            continue
    return found


def parse_rows(
    text: str,
    required: Sequence[str],
    columns: Sequence[str],
    check: Callable[[Mapping[str, str]], tuple[T | None, str]],
    key_of: Callable[[T], str],
    what: str,
) -> list[T]:
    """The records of a CSV import file (a header row naming at least the `required` columns): each row
    checked, none twice; `ImportRefused` with every bad row, so a file is imported whole or not at all."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused(
            [f"the header has no column {', '.join(missing)} (columns: {', '.join(columns)})"]
        )
    found: dict[str, T] = {}
    defects: list[str] = []
    for number, row in enumerate(reader, 2):
        record, problem = check(row)
        if record is None:
            defects.append(f"line {number}: {problem}")
        elif key_of(record) in found:
            defects.append(f"line {number}: {what} {key_of(record)} is already on an earlier line")
        else:
            found[key_of(record)] = record
    if defects:
        raise ImportRefused(defects)
    if not found:
        raise ImportRefused([f"the file lists no {what}"])
    return list(found.values())
