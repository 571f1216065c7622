"""The console at the widths operators have: at 80 columns priority, time, kind, the whole plate and the
checkpoint stay and the summary goes first; the ids shown are the real ids or unique prefixes of them
(what `lift` and `alert accept` take), never cut with "…"."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from streams import topics
from streams.tools.console.columns import Column, fit, unique_prefix_lengths
from tests.unit.tools.console.test_console import alert, example, new_state, text_of

SUMMARY = "布控预警：{plate} 经卡口 {checkpoint} 第2车道（进城），被盗抢车辆：白色比亚迪秦PLUS DM-i"
# (id, priority, time, kind, plate, checkpoint); the times of the day before show with their date.
ALERTS = [
    ("9684a247e3770f8ab6e9279d", 1, "2026-08-02T20:29:10+08:00", "ring_breach", "苏K8B693", "YZ-EC-0417"),
    ("9684a247e3aa0f8ab6e92000", 1, "2026-08-02T20:20:00+08:00", "lookout_sighting", "苏A1234学", "EC-3071"),
    (
        "1b2c3d4e5f60718293a4b5c6",
        2,
        "2026-08-01T23:58:00+08:00",
        "watchlist_match",
        "苏M77351F",
        "YZ-WC-0003",
    ),
    ("fedcba9876543210fedcba98", 3, "2026-08-02T19:05:00+08:00", "retro_match", "苏KA2B45", "YZ-EC-2948"),
]


def _state() -> Any:
    state = new_state()
    for alert_id, priority, at, kind, plate, checkpoint in ALERTS:
        summary = {"zh": SUMMARY.format(plate=plate, checkpoint=checkpoint), "en": "x"}
        state.feed(
            topics.ALERTS,
            alert(alert_id, priority, at, kind=kind, plate=plate, checkpoint_id=checkpoint, summary=summary),
        )
    state.feed(topics.INCIDENTS, example("incidents", "lotus-pond-second-call-merged"))
    for name in ("raised-lotus-pond-on-foot-three-rings", "point_staffed-first-core-point"):
        state.feed(topics.LOCKDOWNS, example("lockdowns", name))
    return state


def _alert_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"│ P\d ", line)]


def _shown_id(row: str, kind: str) -> str:
    [shown] = re.findall(rf"\b{kind}-[0-9a-f]+\b", row)
    return str(shown)


@pytest.mark.parametrize("width", [80, 120])
def test_priority_time_kind_plate_and_checkpoint_stay(width: int) -> None:
    text = text_of(_state(), width)
    rows = _alert_rows(text)
    assert len(rows) == len(ALERTS) and all(cell_len(line) == width for line in text.splitlines())
    for row, (alert_id, priority, at, kind, plate, checkpoint) in zip(rows, ALERTS, strict=True):
        clock = at[11:19] if at.startswith("2026-08-02") else "08-01 23:58"
        assert re.match(rf"│ P{priority}\s+{clock}\s+(! )?{kind}\s", row), row
        assert f" {plate} " in row and f" {checkpoint} " in row  # the whole plate, the whole checkpoint
        shown = _shown_id(row, "al")
        assert f"al-{alert_id}".startswith(shown) and "…" not in shown


def test_at_80_the_summary_goes_first_and_the_ids_are_unique_prefixes() -> None:
    rows = _alert_rows(text_of(_state(), 80))
    assert not any("布控预警" in row for row in rows)
    shown = [_shown_id(row, "al") for row in rows]
    # Two ids share 10 characters: theirs are longer than the others', and every prefix names one id.
    assert shown[0] == "al-9684a247e37" and shown[1] == "al-9684a247e3a" and shown[2] == "al-1b2c3d4e5f6"
    for prefix in shown:
        assert sum(f"al-{a[0]}".startswith(prefix) for a in ALERTS) == 1


def test_at_120_the_summary_is_cut_and_every_other_column_shows() -> None:
    text = text_of(_state(), 120)
    [header] = [line for line in text.splitlines() if re.match(r"│ P\s+time", line)]
    assert re.findall(r"[a-z]+", header) == ["time", "kind", "state", "plate", "checkpoint", "ring", "seen",
                                             "alert", "summary"]  # fmt: skip
    for row in _alert_rows(text):
        assert "布控预警：苏" in row and row.rstrip(" │").endswith("…")  # cut, not dropped


@pytest.mark.parametrize("width", [80, 100, 120, 160])
def test_lockdown_and_incident_ids_are_never_cut_with_an_ellipsis(width: int) -> None:
    text = text_of(_state(), width)
    [lockdown] = [line for line in text.splitlines() if line.startswith("│ ld-")]
    assert "ld-d3918d9132985631f277".startswith(_shown_id(lockdown, "ld"))
    assert "core  ██" in lockdown  # the staffing of its rings stays too
    [incident] = [line for line in text.splitlines() if line.startswith("│ inc-")]
    assert "inc-0148cf6eb5dc01dee6fe".startswith(_shown_id(incident, "inc"))
    assert "ld-d3918d9132985631f277".startswith(_shown_id(incident, "ld"))
    assert " P1 " in incident and "armed_robbery" in incident and "30m 00s" in incident


def test_the_screen_layout_fits_80_by_24() -> None:
    console = Console(record=True, width=80, height=24, file=io.StringIO())
    console.print(_state().render_screen(console))
    lines = console.export_text().splitlines()
    assert len(lines) == 24 and all(cell_len(line) == 80 for line in lines)
    assert any("苏K8B693" in line and "! ring_breach" in line for line in lines)


def test_unique_prefixes_keep_eight_digits_after_the_kind_and_grow_only_where_ids_share_more() -> None:
    lengths = unique_prefix_lengths(["al-aaaaaaaa11", "al-aaaaaaaa12", "al-b", "inc-12345678901", "x"])
    assert lengths == {"al-aaaaaaaa11": 13, "al-aaaaaaaa12": 13, "al-b": 4, "inc-12345678901": 12, "x": 1}


def test_fit_cuts_and_drops_by_keep_and_gives_back_what_a_drop_freed() -> None:
    def column(name: str, width: int, **options: Any) -> Column:
        return Column(name, [Text("x" * width)], **options)

    columns = [
        column("a", 10, essential=True),
        column("b", 10, keep=1),
        column("c", 20, keep=2, essential=True, least=5),
        column("d", 30, keep=0, flexible=True, least=12),
    ]
    widths = {c.header: w for c, w in fit(columns, 200)}
    assert widths == {"a": 10, "b": 10, "c": 20, "d": 30}
    assert {c.header: w for c, w in fit(columns, 10 + 10 + 20 + 12 + 6)} == {
        "a": 10,
        "b": 10,
        "c": 20,
        "d": 12,
    }
    # d cannot be narrower than 12: it goes; then b, then c is cut; never a.
    assert {c.header: w for c, w in fit(columns, 10 + 2 + 20 + 2 + 10 + 5)} == {"a": 10, "b": 10, "c": 20}
    assert {c.header: w for c, w in fit(columns, 10 + 2 + 12)} == {"a": 10, "c": 12}
    assert {c.header: w for c, w in fit(columns, 5)} == {"a": 10, "c": 5}
