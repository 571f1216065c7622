"""The command side without a broker: the worker's own router, desk and book on plain-dict tables, fed
records and returning records, as Kafka would carry them (bytes in, decoded JSON out).

What the command side writes to a topic it also reads (its alerts, a listing on the watchlist is not one of
them) is fed back in, in order, as the single-partition topics would deliver it, until nothing new comes.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from streams import topics
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import Topology, load
from streams.settings import Settings
from streams.worker.command_side import AlertBook, CommandRouter, IncidentDesk
from streams.worker.command_side.answers import CommandAnswers
from streams.worker.command_side.signed_inputs import SignedInputs
from streams.worker.command_side.unit_board import UnitDesk
from streams.worker.metrics import Metrics
from streams.worker.pipeline import InputRecord, Outgoing, Pipeline

_TOPOLOGY: Topology | None = None


def default_topology() -> Topology:
    """The synthetic layout the worker uses by default (built once per test run)."""
    global _TOPOLOGY
    if _TOPOLOGY is None:
        _TOPOLOGY = load(generate_topology(2022))
    return _TOPOLOGY


class WatchedTable(dict[str, Any]):
    """A table as a plain dict that counts its writes: "no effect" is no write, checked in O(1)."""

    writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes += 1
        super().__delitem__(key)


@dataclass(frozen=True)
class Record:
    """One record the command side sent: logical topic, key and decoded value."""

    topic: str
    key: str
    value: dict[str, Any]


async def _never_sent(record: Outgoing) -> Any:
    raise AssertionError("the harness collects records; nothing is sent")


class CommandSide:
    """Records in → records out through the worker's command side, tables as plain dicts."""

    def __init__(self, settings: Settings | None = None, topology: Topology | None = None) -> None:
        self.settings = settings or Settings(topic_prefix="t.")
        self.metrics = Metrics()
        self.tables: dict[str, WatchedTable] = {name: WatchedTable() for name in topics.TABLES}
        self.desk = IncidentDesk(
            self.settings,
            topology or default_topology(),
            self.metrics,
            incidents=self.tables["incidents"],
            lockdowns=self.tables["lockdowns"],
            lookouts=self.tables["lookouts"],
        )
        self.book = AlertBook(self.settings, self.tables["alert_book"])
        self.signed = (
            SignedInputs(self.settings, self.tables["registry"], self.tables["nonces"])
            if self.settings.require_signatures and self.settings.registry_root_key
            else None
        )
        self.answers = CommandAnswers(self.settings, self.tables["answers"])
        self.units = UnitDesk(
            self.settings,
            self.tables[topics.UNITS_TABLE],
            self.tables[topics.UNIT_REGISTRY_TABLE],
            topology or default_topology(),
            self.metrics,
        )
        self.router = CommandRouter(
            self.settings, self.book, self.desk, self.signed, self.answers, self.units
        )
        self.pipeline = Pipeline(self.settings, self.metrics, _never_sent, self.router.answers_by_topic)
        self._offsets: dict[str, itertools.count[int]] = {}

    def feed(
        self,
        topic: str,
        key: str | bytes | None,
        value: dict[str, Any] | bytes | None,
        *,
        now: datetime,
        offset: int | None = None,
        arrived: datetime | None = None,
    ) -> list[Record]:
        """One message on a command-side topic; returns every record sent in reply (fed back ones too).
        `offset` reads a record again (a worker after a crash) and `arrived` is its broker time (now)."""
        out: list[Record] = []
        pending = deque([(topic, _bytes(key), value if not isinstance(value, dict) else orjson.dumps(value))])
        again = offset
        while pending:
            name, raw_key, raw_value = pending.popleft()
            if again is None:
                offset = next(self._offsets.setdefault(name, itertools.count()))
            else:
                offset, again = again, None
            stamp = round((arrived or now).timestamp() * 1000)  # it reached Kafka now, or then
            message = InputRecord(self.settings.topic(name), 0, offset, stamp, raw_key, raw_value)
            outgoing, _ = self.pipeline.handle_messages([message], self.router, now)
            for record in outgoing:
                out.append(Record(record.topic, record.key.decode(), orjson.loads(record.value)))
                if record.topic in topics.SIGNED_COMMAND_SIDE:
                    pending.append((record.topic, record.key, record.value))
        return out

    def tick(self, now: datetime) -> list[Record]:
        return self.feed(topics.TICKS, b"tick", now.isoformat().encode(), now=now)


def _bytes(key: str | bytes | None) -> bytes | None:
    return key.encode() if isinstance(key, str) else key


def only(records: list[Record], topic: str, **where: Any) -> list[dict[str, Any]]:
    """The values sent to `topic` that have the given top-level fields."""
    return [
        r.value for r in records if r.topic == topic and all(r.value.get(k) == v for k, v in where.items())
    ]
