"""The unit board: each unit's state from its radio reports, kept in a table and published on
`units.state` (compacted) for the operators' consoles and dashboards.

The rules are the domain's (streams/domain/forces/board.py); this adapter loads a unit's record, stores what
changed and returns the records to send. A report that changes nothing of a unit's state (a late one, say)
sends nothing. On each tick, a unit whose position has gone stale since its state was last published is
published once more, so a console that only reads the topic sees the flag without doing the arithmetic.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import datetime
from typing import Any

from streams import codecs, topics
from streams.domain.forces import board
from streams.domain.incidents.reports import Report
from streams.settings import Settings
from streams.worker.pipeline import Outgoing

Table = MutableMapping[str, dict[str, Any]]
PUBLISHED_STALE = "published_stale"  # in the table record: the flag the last published state carried


class UnitDesk:
    def __init__(self, settings: Settings, units: Table) -> None:
        self.units = units  # unit id → board.state_record(...) plus PUBLISHED_STALE

    def on_report(self, report: Report, now: datetime) -> Sequence[Outgoing]:
        """One radio report, already parsed (and refused, if it had to be) by the incident desk."""
        before = self.units.get(report.unit_id)
        state, _arrived = board.apply_report(
            None if before is None else board.state_from_record(before), report
        )
        record = board.state_record(state)
        if before is not None and {k: v for k, v in before.items() if k != PUBLISHED_STALE} == record:
            return ()
        return [self._publish(state, record, now)]

    def on_tick(self, now: datetime) -> Sequence[Outgoing]:
        out = []
        for record in list(self.units.values()):
            # Only the position's time is read for each unit (a city's guards are thousands, every tick).
            at = record.get("position_at")
            if record.get(PUBLISHED_STALE) is False and (
                at is None or now - datetime.fromisoformat(str(at)) > board.STALE_AFTER
            ):
                state = board.state_from_record(record)
                out.append(self._publish(state, board.state_record(state), now))
        return out

    def _publish(self, state: board.UnitState, record: dict[str, Any], now: datetime) -> Outgoing:
        message = board.state_message(state, now)
        self.units[state.unit_id] = {**record, PUBLISHED_STALE: message["position_stale"]}
        return Outgoing(topics.UNITS_STATE, state.unit_id.encode(), codecs.encode(message))
