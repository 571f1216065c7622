"""streams/tools/response_report.py: incidents' records → timelines → the table a briefing prints, and
its chart (a real PNG drawn with matplotlib)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from streams.domain.forces.accounting import response_table
from streams.tools.response_report import draw, table_lines, timelines_from

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples" / "incidents" / "valid"
WORKSTATIONS = {"WS-LOTUS": (119.42, 32.386), "WS-FAR": (119.50, 32.45)}


def test_records_become_timelines_and_the_table_shows_each_area_and_all(tmp_path: Path) -> None:
    sent = json.loads((EXAMPLES / "lotus-pond-closed-all-captured-units-sent.json").read_text("utf-8"))
    opened = json.loads((EXAMPLES / "lotus-pond-opened-lockdown-raised.json").read_text("utf-8"))
    opened["incident_id"] = "inc-00000000000000000002"  # another incident, still open, nobody sent
    read = timelines_from([sent, opened, {"incident_id": "inc-x"}, {"unexpected": 1}], WORKSTATIONS)
    assert read.unreadable == 2 and len(read.timelines) == 2
    [timeline] = [t for t in read.timelines if t.incident_id == sent["incident_id"]]
    assert timeline.area == "WS-LOTUS" and timeline.first_unit_kind == "motor_patrol"
    assert timeline.response_s == 312.0  # received 20:00:00, first unit on scene 20:05:12
    since = timeline.received_at - timedelta(hours=1)
    rows = response_table(read.timelines, since, since + timedelta(hours=24))
    lines = table_lines(rows)
    assert lines[0].split() == [
        "area",
        "calls",
        "workstation",
        "closed",
        "median",
        "p90",
        "repeat",
        "responded",
    ]
    by_area = {line.split()[0]: line.split() for line in lines[1:]}
    assert by_area["all"][1] == "2" and by_area["all"][4] == "5:12" and by_area["all"][-1] == "1"
    chart = draw(tmp_path / "r.png", rows, since, since + timedelta(hours=24))
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000


def test_an_empty_window_still_draws_its_chart(tmp_path: Path) -> None:
    read = timelines_from([], WORKSTATIONS)
    sent = json.loads((EXAMPLES / "lotus-pond-closed-all-captured-units-sent.json").read_text("utf-8"))
    start = timelines_from([sent], WORKSTATIONS).timelines[0].received_at
    rows = response_table(read.timelines, start, start + timedelta(hours=1))
    assert [r.area for r in rows] == ["all"] and rows[0].calls == 0
    assert "-" in table_lines(rows)[1].split()
    assert draw(tmp_path / "empty.png", rows, start, start + timedelta(hours=1)).exists()
