"""The unit registry (`units.registry`, compacted, key: the unit id) folded into state.

Who can be sent: the motor patrol groups, the street workstations' units, the community police rooms and
the registered security guards, each with its home workstation (a point of the topology), its radio and
what it can do. A unit's id is the `unit_id` its radio reports carry on `patrol.reports`, so a report from
a radio the registry does not know is visibly not one of the city's forces.

A unit is retired, not deleted: its record stays (status `retired`), so an incident's history can still say
who went, and a retired unit is never proposed again.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from streams.domain.exceptions import InvalidInput

UNIT_KINDS = ("motor_patrol", "workstation_unit", "community_police", "security_guard")
CAPABILITIES = ("armed", "vehicle", "foot")
STATUSES = ("active", "retired")
# The topology's points a unit may call home: where its people start from and report to.
HOME_KINDS = frozenset({"street_workstation", "rapid_response_point", "smart_checkpoint_station"})
_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_RADIO = re.compile(r"[A-Za-z0-9._:-]{1,32}")
NAME_MAX = 100


class UnitFields(Protocol):
    """A `units.registry` message as decoded (schema-checked)."""

    @property
    def unit_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def home_workstation(self) -> str: ...
    @property
    def radio_id(self) -> str | None: ...
    @property
    def capabilities(self) -> Collection[str]: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Unit:
    unit_id: str
    kind: str
    home_workstation: str
    capabilities: frozenset[str]
    radio_id: str | None = None
    name: str | None = None
    status: str = "active"

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def mounted(self) -> bool:
        """Moves by vehicle (car, motorcycle): its travel time is a vehicle's, else a walker's."""
        return "vehicle" in self.capabilities

    def can(self, needs: Collection[str]) -> bool:
        return all(need in self.capabilities for need in needs)

    def retired(self) -> Unit:
        return Unit(
            self.unit_id,
            self.kind,
            self.home_workstation,
            self.capabilities,
            self.radio_id,
            self.name,
            "retired",
        )

    def value(self) -> dict[str, object]:
        """The `units.registry` message of this unit."""
        found: dict[str, object] = {
            "schema_version": 1,
            "unit_id": self.unit_id,
            "kind": self.kind,
            "home_workstation": self.home_workstation,
            "capabilities": sorted(self.capabilities),
            "status": self.status,
        }
        if self.radio_id:
            found["radio_id"] = self.radio_id
        if self.name:
            found["name"] = self.name
        return found


def unit_from(message: UnitFields, key: str | None) -> Unit:
    """The unit a registry message describes; `InvalidInput` (key_mismatch) when the record's key is not
    its unit id, so one unit's record can never shadow another's."""
    if key != message.unit_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} is not the unit id {message.unit_id!r}")
    capabilities = frozenset(message.capabilities)
    if len(capabilities) != len(list(message.capabilities)):
        raise InvalidInput("invalid_value", "capabilities lists one capability twice")
    return Unit(
        unit_id=message.unit_id,
        kind=message.kind,
        home_workstation=message.home_workstation,
        capabilities=capabilities,
        radio_id=message.radio_id,
        name=message.name,
        status=message.status,
    )


def check_unit_row(row: Mapping[str, str], homes: Collection[str] | None) -> tuple[Unit | None, str]:
    """A unit from one row of an import file (columns unit_id, kind, home_workstation, radio_id,
    capabilities as `armed vehicle` or `armed;vehicle`, name); (None, every defect) when the row cannot be
    one. `homes`: the topology's points a unit may call home (None: not checked)."""
    defects: list[str] = []

    def identifier(name: str, pattern: re.Pattern[str], *, required: bool) -> str | None:
        value = (row.get(name) or "").strip()
        if not value:
            if required:
                defects.append(f"{name} is required")
            return None
        if not pattern.fullmatch(value):
            defects.append(
                f"{name} {value[:40]!r} must be 1..{64 if pattern is _ID else 32} of A-Z a-z 0-9 . _ : -"
            )
            return None
        return value

    unit_id = identifier("unit_id", _ID, required=True)
    kind = (row.get("kind") or "").strip().lower()
    if kind not in UNIT_KINDS:
        defects.append(f"kind {kind[:40]!r} is not one of {', '.join(UNIT_KINDS)}")
    home = identifier("home_workstation", _ID, required=True)
    if home and homes is not None and home not in homes:
        defects.append(f"home_workstation {home!r} is not a workstation or station of the topology")
    radio_id = identifier("radio_id", _RADIO, required=False)
    words = (row.get("capabilities") or "").replace(";", " ").replace(",", " ").lower().split()
    unknown = [w for w in words if w not in CAPABILITIES]
    if unknown:
        defects.append(f"capabilities {', '.join(unknown)[:40]!r} not among {', '.join(CAPABILITIES)}")
    if not words:
        defects.append(f"capabilities are required (some of {', '.join(CAPABILITIES)})")
    name = (row.get("name") or "").strip() or None
    if name is not None and (len(name) > NAME_MAX or not name.isprintable()):
        defects.append(f"name must be printable text of at most {NAME_MAX} characters")
    if defects or unit_id is None or home is None:
        return None, "; ".join(defects)
    return Unit(unit_id, kind, home, frozenset(words), radio_id, name), ""


@dataclass(slots=True)
class UnitRegistry:
    """The registry as its readers follow it: the last record per unit id."""

    units: dict[str, Unit] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units.values())

    def apply(self, key: str, unit: Unit | None) -> None:
        """One record: a unit, or None for a tombstone (a unit removed outright)."""
        if unit is None:
            self.units.pop(key, None)
        else:
            self.units[key] = unit

    def get(self, unit_id: str) -> Unit | None:
        return self.units.get(unit_id)

    def active(self) -> list[Unit]:
        return [unit for unit in self.units.values() if unit.active]
