"""streams/domain/forces/units.py: import rows, registry records and their keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from streams.domain.exceptions import InvalidInput
from streams.domain.forces.units import Unit, UnitRegistry, check_unit_row, unit_from

HOMES = {"WS-01", "WS-02", "RR-01"}


def row(**changes: str) -> dict[str, str]:
    base = {
        "unit_id": "MP-07",
        "kind": "motor_patrol",
        "home_workstation": "WS-01",
        "radio_id": "R-4407",
        "capabilities": "armed vehicle",
        "name": "机动巡逻 7组",
    }
    return {**base, **changes}


def test_a_full_row_is_a_unit() -> None:
    unit, problem = check_unit_row(row(), HOMES)
    assert problem == "" and unit == Unit(
        "MP-07", "motor_patrol", "WS-01", frozenset({"armed", "vehicle"}), "R-4407", "机动巡逻 7组"
    )
    assert unit.mounted and unit.can({"armed"}) and not unit.can({"armed", "foot"}) and unit.active


@pytest.mark.parametrize(
    ("changes", "defect"),
    [
        ({"unit_id": ""}, "unit_id is required"),
        ({"unit_id": "MP 07"}, "unit_id 'MP 07' must be"),
        ({"kind": "tank"}, "kind 'tank' is not one of"),
        ({"home_workstation": "WS-99"}, "home_workstation 'WS-99' is not a workstation"),
        ({"home_workstation": ""}, "home_workstation is required"),
        ({"radio_id": "R" * 33}, "radio_id"),
        ({"capabilities": ""}, "capabilities are required"),
        ({"capabilities": "armed flying"}, "'flying' not among"),
        ({"name": "x" * 101}, "name must be printable text"),
        ({"name": "bad\x00name"}, "name must be printable text"),
    ],
)
def test_every_defect_of_a_row_is_named(changes: dict[str, str], defect: str) -> None:
    unit, problem = check_unit_row(row(**changes), HOMES)
    assert unit is None and defect in problem


def test_capabilities_may_be_separated_by_spaces_semicolons_or_commas_and_extras_are_optional() -> None:
    unit, _ = check_unit_row(
        {
            "unit_id": "SG-1",
            "kind": "Security_Guard",
            "home_workstation": "WS-02",
            "capabilities": "FOOT;armed",
        },
        None,
    )
    assert unit is not None and unit.capabilities == {"foot", "armed"} and unit.radio_id is None
    assert not unit.mounted and unit.kind == "security_guard"


@dataclass
class Message:
    unit_id: str = "MP-07"
    kind: str = "motor_patrol"
    name: str | None = None
    home_workstation: str = "WS-01"
    radio_id: str | None = None
    capabilities: tuple[str, ...] = ("vehicle",)
    status: str = "active"


def test_a_record_is_its_keys_unit_or_refused() -> None:
    assert unit_from(Message(), "MP-07").value() == {
        "schema_version": 1,
        "unit_id": "MP-07",
        "kind": "motor_patrol",
        "home_workstation": "WS-01",
        "capabilities": ["vehicle"],
        "status": "active",
    }
    with pytest.raises(InvalidInput) as wrong_key:
        unit_from(Message(), "MP-08")
    assert wrong_key.value.code == "key_mismatch"
    with pytest.raises(InvalidInput) as twice:
        unit_from(Message(capabilities=("vehicle", "vehicle")), "MP-07")
    assert twice.value.code == "invalid_value"


def test_the_registry_keeps_the_last_record_and_retired_units_are_not_active() -> None:
    registry = UnitRegistry()
    unit = unit_from(Message(), "MP-07")
    registry.apply("MP-07", unit)
    registry.apply("MP-08", unit_from(Message(unit_id="MP-08"), "MP-08"))
    registry.apply("MP-07", unit.retired())
    assert len(registry) == 2 and [u.unit_id for u in registry.active()] == ["MP-08"]
    assert registry.get("MP-07") == unit.retired() and registry.get("MP-07").value()["status"] == "retired"  # type: ignore[union-attr]
    registry.apply("MP-08", None)
    assert [u.unit_id for u in registry] == ["MP-07"]
