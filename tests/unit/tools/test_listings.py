"""The listing lines, from the schemas' valid examples: what `citygate incidents`, `lockdowns`, `watchlist
list` and the scenario commands print."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from streams.codecs import parse_entry
from streams.tools.listings import (
    incident_lines,
    latest_by_key,
    lockdown_lines,
    outcome_line,
    scenario_finished_line,
    watchlist_lines,
)
from streams.tools.scenario import Outcome
from tests.unit.fixtures import entry_message

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples"


def records(topic: str, key: str, *names: str) -> list[tuple[bytes | None, bytes | None]]:
    """The named valid examples of `topic` as (key, value) records, in that order."""
    out: list[tuple[bytes | None, bytes | None]] = []
    for name in names:
        message = json.loads((EXAMPLES / topic / "valid" / f"{name}.json").read_text())
        out.append((message[key].encode(), orjson.dumps(message)))
    return out


INCIDENTS = records(
    "incidents",
    "incident_id",
    "lotus-pond-opened-lockdown-raised",
    "hit-and-run-vehicle-plate-listed",
    "lotus-pond-one-captured",
    "baoji-peninsula-suspicious-activity-no-lockdown",
    "lotus-pond-closed-all-captured",
)


def test_latest_by_key_keeps_the_last_value_of_each_key() -> None:
    latest = latest_by_key([*INCIDENTS, (b"gone", None), (None, b"{}")])
    assert len(latest) == 3 and "gone" not in latest  # a tombstone and a keyless record are no state
    assert latest["inc-0148cf6eb5dc01dee6fe"]["status"] == "closed"


def test_incident_lines_show_open_ones_unless_all() -> None:
    latest = latest_by_key(INCIDENTS).values()
    lines = list(incident_lines(latest, show_all=False))
    assert len(lines) == 2 and all(" open " in line for line in lines)
    assert "inc-0148cf6eb5dc01dee6fe" not in "".join(lines)
    [closed] = [line for line in incident_lines(latest, show_all=True) if " closed " in line]
    assert closed.startswith("inc-0148cf6eb5dc01dee6fe  P1 armed_robbery") and "荷花池公园西门" in closed


def test_lockdown_lines_show_staffing_per_ring() -> None:
    events = records(
        "lockdowns",
        "lockdown_id",
        "raised-lotus-pond-on-foot-three-rings",
        "point_staffed-last-core-point",
        "ring_sealed-core",
    )
    [line] = lockdown_lines(latest_by_key(events).values(), show_all=False)
    assert line.startswith("ld-d3918d9132985631f277  active rings core/urban/city  sealed core  ")
    assert (
        "staffed core 4/4, urban 0/4, city 0/4" in line
        and "(last: ring_sealed at 2026-08-02T20:08:51)" in line
    )
    lifted = latest_by_key([*events, *records("lockdowns", "lockdown_id", "lifted-operator")]).values()
    assert not list(lockdown_lines(lifted, show_all=False)) and list(lockdown_lines(lifted, show_all=True))


def test_watchlist_lines_by_priority_then_id() -> None:
    entries = [
        parse_entry("WL-2", entry_message(entry_id="WL-2", priority=2)),
        parse_entry("WL-1", entry_message(entry_id="WL-1", priority=3, covert=True)),
        parse_entry("WL-3", entry_message(entry_id="WL-3", priority=1)),
    ]
    lines = list(watchlist_lines(entries, as_json=False))
    assert [line.split()[0] for line in lines] == ["WL-3", "WL-2", "WL-1"]
    assert " covert " in lines[2] and " P3 " in lines[2]
    [first, *_] = watchlist_lines(entries, as_json=True)
    assert orjson.loads(first)["entry_id"] == "WL-3"


def test_outcome_lines_say_when_in_real_seconds_and_scenario_minutes() -> None:
    started = datetime(2026, 8, 2, 12, 0, tzinfo=UTC)
    met = outcome_line(
        Outcome("lockdown raised", True, started + timedelta(seconds=90), "ld-1"), started, 60.0
    )
    assert met == "  MET     +  90.0 s (scenario minute  90.0)  lockdown raised (ld-1)"
    missed = outcome_line(Outcome("ring sealed", False, None, "no event"), started, 60.0)
    assert missed == "  NOT MET " + " " * 33 + "  ring sealed (no event)"


def test_a_scenario_run_ends_with_one_line_saying_how_it_ended() -> None:
    met, unmet = Outcome("raised", True, None), Outcome("sealed", False, None)
    assert scenario_finished_line("lotus_pond_drill", 17.64, [met, met]) == (
        "scenario lotus_pond_drill finished after 17.6 s: all 2 outcomes met"
    )
    assert scenario_finished_line("lotus_pond_drill", 31.0, [met, unmet, unmet]) == (
        "scenario lotus_pond_drill finished after 31.0 s: 2 of 3 outcomes NOT met"
    )
    assert scenario_finished_line("baoji_guard_report", 2.0, None) == (
        "scenario baoji_guard_report finished after 2.0 s: played, outcomes not checked (--no-verify)"
    )
