"""The unit board on the command side: radio reports → units.state, schema-valid, once per change; stale
positions republished once on a tick; refused reports change no unit."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema

from streams import topics
from streams.domain.forces.board import STALE_AFTER
from tests.unit.worker.command_side.harness import CommandSide, only

EXAMPLES = Path(__file__).parents[4] / "schemas" / "examples"
SCHEMA = json.loads((Path(__file__).parents[4] / "schemas" / "units.state.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def position(unit_id: str, at: datetime, lon: float, lat: float, n: int = 0) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        (EXAMPLES / topics.PATROL_REPORTS / "valid" / "position-minimal.json").read_text("utf-8")
    )
    return {
        **value,
        "report_id": f"{unit_id}-{n}",
        "unit_id": unit_id,
        "at": at.isoformat(),
        "place": {"lon": lon, "lat": lat},
    }


T0 = datetime.fromisoformat("2026-07-22T00:12:00+08:00")


def test_each_report_that_moves_a_unit_publishes_its_state_once() -> None:
    side = CommandSide()
    out = side.feed(topics.PATROL_REPORTS, "MP-07", position("MP-07", T0, 119.43, 32.39), now=T0)
    [state] = only(out, topics.UNITS_STATE)
    VALIDATOR.validate(state)
    assert (state["unit_id"], state["status"], state["position"], state["position_stale"]) == (
        "MP-07",
        "available",
        {"lon": 119.43, "lat": 32.39},
        False,
    )
    later = T0 + timedelta(minutes=1)
    moved = side.feed(topics.PATROL_REPORTS, "MP-07", position("MP-07", later, 119.44, 32.39, 1), now=later)
    assert only(moved, topics.UNITS_STATE)[0]["position"] == {"lon": 119.44, "lat": 32.39}
    # The first report delivered late (or again): the unit does not move back, and nothing is sent.
    late = side.feed(topics.PATROL_REPORTS, "MP-07", position("MP-07", T0, 119.43, 32.39), now=later)
    assert only(late, topics.UNITS_STATE) == []
    assert side.tables[topics.UNITS_TABLE]["MP-07"]["position"] == [119.44, 32.39]


def test_a_position_gone_stale_is_published_once_on_a_tick() -> None:
    side = CommandSide()
    side.feed(topics.PATROL_REPORTS, "MP-07", position("MP-07", T0, 119.43, 32.39), now=T0)
    assert only(side.tick(T0 + STALE_AFTER), topics.UNITS_STATE) == []
    [stale] = only(side.tick(T0 + STALE_AFTER + timedelta(seconds=1)), topics.UNITS_STATE)
    VALIDATOR.validate(stale)
    assert stale["position_stale"] is True and stale["position"] == {"lon": 119.43, "lat": 32.39}
    assert only(side.tick(T0 + STALE_AFTER + timedelta(seconds=2)), topics.UNITS_STATE) == []
    fresh_at = T0 + timedelta(minutes=12)
    fresh = side.feed(
        topics.PATROL_REPORTS, "MP-07", position("MP-07", fresh_at, 119.43, 32.4, 2), now=fresh_at
    )
    assert only(fresh, topics.UNITS_STATE)[0]["position_stale"] is False


def test_a_refused_report_changes_no_unit() -> None:
    side = CommandSide()
    bad = {**position("MP-07", T0, 119.43, 32.39), "place": {"lon": 500, "lat": 32.39}}
    out = side.feed(topics.PATROL_REPORTS, "MP-07", bad, now=T0)
    assert only(out, topics.UNITS_STATE) == [] and len(only(out, topics.DEADLETTER)) == 1
    wrong_key = side.feed(topics.PATROL_REPORTS, "MP-08", position("MP-07", T0, 119.43, 32.39), now=T0)
    assert only(wrong_key, topics.UNITS_STATE) == [] and side.tables[topics.UNITS_TABLE].writes == 0
