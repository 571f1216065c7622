"""The unit registry (`units.registry`), managed from the CLI: import a CSV, list, retire.

Every change is produced with acks=all and waited for, so a command that exits 0 has taken effect on the
brokers. A retired unit keeps its record (status `retired`): an incident's history can still name it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import orjson

from streams import topics
from streams.codecs.forces import FORCES_DECODERS
from streams.domain.exceptions import InvalidInput
from streams.domain.forces.board import UnitState, state_from_message
from streams.domain.forces.units import Unit, check_unit_row, unit_from
from streams.settings import Settings
from streams.tools.registries import parse_rows, produce, read_registry

UNIT_COLUMNS = ("unit_id", "kind", "home_workstation", "radio_id", "capabilities", "name")


def parse_unit_csv(text: str, homes: Collection[str] | None) -> list[Unit]:
    """The units of an import file (a header row naming at least unit_id, kind, home_workstation and
    capabilities); `ImportRefused` with every bad row, so a file is imported whole or not at all."""
    return parse_rows(
        text,
        ("unit_id", "kind", "home_workstation", "capabilities"),
        UNIT_COLUMNS,
        lambda row: check_unit_row(row, homes),
        lambda unit: unit.unit_id,
        "unit",
    )


def write_units(settings: Settings, units: Iterable[Unit]) -> int:
    records = [(u.unit_id.encode(), orjson.dumps(u.value())) for u in units]
    return produce(settings, topics.UNITS, records)


def read_units(settings: Settings) -> dict[str, Unit]:
    decode = FORCES_DECODERS[topics.UNITS].decode
    return read_registry(settings, topics.UNITS, lambda value, key: unit_from(decode(value), key))


def retire_unit(settings: Settings, unit_id: str) -> tuple[Unit | None, bool]:
    """Mark the unit retired: (its record, whether this wrote it). (None, False) when no such unit is
    registered; a unit already retired is left as it is."""
    unit = read_units(settings).get(unit_id)
    if unit is None or not unit.active:
        return unit, False
    retired = unit.retired()
    write_units(settings, [retired])
    return retired, True


def read_unit_states(settings: Settings) -> dict[str, UnitState]:
    """Each unit's state as the command side last published it on `units.state`."""
    decode = FORCES_DECODERS[topics.UNITS_STATE].decode

    def parse(value: bytes, key: str) -> UnitState:
        state = state_from_message(decode(value))
        if state.unit_id != key:
            raise InvalidInput("key_mismatch", f"message key {key!r} is not the unit id {state.unit_id!r}")
        return state

    return read_registry(settings, topics.UNITS_STATE, parse)
