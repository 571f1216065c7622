"""The messages people write by hand are checked by the worker's own parsers before they are sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from streams.codecs import parse_command, parse_entry
from streams.domain.commands import LIFT_REASONS
from streams.domain.exceptions import InvalidInput
from streams.tools.messages import operator_command, watchlist_entry
from tests.unit.fixtures import NOW


def entry(**changes: Any) -> dict[str, object]:
    fields: dict[str, Any] = {
        "plate": "苏K·12345",
        "category": "stolen",
        "priority": 2,
        "reason": "车辆被盗",
        "source_agency": "扬州市公安局",
        "added_by": "officer-0042",
        "hours": None,
        "covert": False,
        "incident_id": None,
        "instructions": None,
        "entry_id": None,
        "now": NOW,
        **changes,
    }
    return watchlist_entry(**fields)


def test_a_watchlist_entry_is_what_the_replica_accepts() -> None:
    message = entry(hours=24, entry_id="WL-7")
    parsed = parse_entry("WL-7", message)
    assert parsed.plate_normalised == "苏K12345" and parsed.valid_from == NOW
    assert parsed.valid_until == NOW + timedelta(hours=24)
    assert entry()["valid_until"] is None  # open-ended
    first, second = entry()["entry_id"], entry()["entry_id"]
    assert first != second and str(first).startswith("WL-")


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"plate": "not a plate"}, "plate"), ({"category": "parked"}, "category"), ({"reason": ""}, "reason")],
)
def test_a_bad_watchlist_entry_is_refused_with_the_domain_reason(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        entry(**changes)


def test_an_operator_command_is_what_the_command_side_accepts() -> None:
    message = operator_command(
        command="reject_hit", target_id="al-1", operator_id="op-1", reason_code="misread", note=None, now=NOW
    )
    command = parse_command("al-1", message)
    assert command.issued_at == NOW and command.reason_code == "misread"
    with pytest.raises(InvalidInput, match="reason_code"):
        operator_command(
            command="reject_hit", target_id="al-1", operator_id="op-1", reason_code=None, note=None, now=NOW
        )


def test_a_dispatch_carries_its_named_units_and_only_a_dispatch_may() -> None:
    message = operator_command(
        command="dispatch", target_id="inc-1", operator_id="op-1", reason_code=None, note=None, now=NOW,
        units=("MP-07", "WS-2"),
    )  # fmt: skip
    assert parse_command("inc-1", message).units == ("MP-07", "WS-2")
    one_key = operator_command(
        command="dispatch", target_id="inc-1", operator_id="op-1", reason_code="proposal", note=None, now=NOW
    )
    assert "units" not in one_key and parse_command("inc-1", one_key).units == ()
    with pytest.raises(InvalidInput, match="names one unit twice"):
        operator_command(
            command="dispatch", target_id="inc-1", operator_id="o", reason_code=None, note=None, now=NOW,
            units=("MP-07", "MP-07"),
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="'units' belongs to a dispatch"):
        operator_command(
            command="staff_point", target_id="BP-1", operator_id="o", reason_code=None, note=None, now=NOW,
            units=("MP-07",),
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        operator_command(
            command="dispatch", target_id="inc-1", operator_id="o", reason_code=None, note=None, now=NOW,
            units=tuple(f"U-{i}" for i in range(9)),
        )  # fmt: skip


def test_lift_reasons_are_the_lockdown_reasons_that_lift() -> None:
    for reason in LIFT_REASONS:
        message = operator_command(
            command="lift_lockdown", target_id="ld-1", operator_id="c", reason_code=reason, note=None, now=NOW
        )
        assert parse_command("ld-1", message).reason_code == reason
    assert "radio_confirmed" not in LIFT_REASONS and "other" in LIFT_REASONS
