"""streams/domain/forces/accounting.py: every figure on hand-made timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.domain.forces.accounting import (
    Timeline,
    area_of,
    nearest_rank,
    repeats,
    response_table,
)

T0 = datetime(2026, 7, 22, 8, 0, tzinfo=UTC)
HERE = (119.4300, 32.3900)
NEAR = (119.4330, 32.3900)  # ~282 m east
FAR = (119.4400, 32.3900)  # ~940 m east


def timeline(
    incident_id: str,
    minutes: float,
    *,
    area: str = "WS-01",
    category: str = "theft",
    place: tuple[float, float] = HERE,
    dispatched: float | None = None,
    on_scene: float | None = None,
    closed: float | None = None,
    unit: str | None = None,
) -> Timeline:
    def at(offset: float | None) -> datetime | None:
        return None if offset is None else T0 + timedelta(minutes=minutes + offset)

    return Timeline(
        incident_id, category, place, area, T0 + timedelta(minutes=minutes), at(dispatched), at(on_scene),
        at(closed), unit,
    )  # fmt: skip


def test_an_incidents_times_are_measured_from_the_call() -> None:
    t = timeline("i1", 0, dispatched=1, on_scene=4.5, closed=30, unit="workstation_unit")
    assert (t.dispatch_delay_s, t.response_s, t.by_workstation) == (60, 270, True)
    assert timeline("i2", 0).response_s is None and timeline("i2", 0).dispatch_delay_s is None


def test_the_table_per_area_and_for_all() -> None:
    timelines = [
        timeline("a1", 0, dispatched=1, on_scene=3, closed=40, unit="workstation_unit"),
        timeline("a2", 10, dispatched=1, on_scene=5, closed=50, unit="motor_patrol"),
        timeline("a3", 20, dispatched=2, on_scene=9, unit="workstation_unit"),  # still open
        timeline("a4", 30),  # nobody went yet
        timeline("b1", 5, area="WS-02", dispatched=1, on_scene=12, closed=60, unit="motor_patrol"),
        timeline("late", 600),  # outside the window
    ]
    a, b, everything = response_table(timelines, T0, T0 + timedelta(hours=2))
    assert (a.area, a.calls, a.responded) == ("WS-01", 4, 3)
    assert a.workstation_share == 0.5 and a.closure_rate == 0.5
    assert a.response_median_s == 300 and a.response_p90_s == 540  # of 180, 300, 540
    assert (b.area, b.calls, b.workstation_share, b.closure_rate, b.response_median_s) == (
        "WS-02",
        1,
        0,
        1,
        720,
    )
    assert (everything.area, everything.calls, everything.responded) == ("all", 5, 4)
    assert everything.response_median_s == pytest.approx((300 + 540) / 2)  # of 180, 300, 540, 720
    assert everything.response_p90_s == 720


def test_closed_after_the_window_is_not_closed_yet_and_an_empty_window_has_no_figures() -> None:
    timelines = [timeline("a1", 0, closed=90)]
    [a, _] = response_table(timelines, T0, T0 + timedelta(minutes=60))
    assert a.closure_rate == 0
    [empty] = response_table(timelines, T0 + timedelta(days=1), T0 + timedelta(days=2))
    assert (empty.area, empty.calls, empty.closure_rate, empty.response_median_s, empty.repeat_rate) == (
        "all", 0, None, None, None,
    )  # fmt: skip


def test_a_repeat_is_the_same_category_within_500_m_and_24_h_of_a_closed_one() -> None:
    first = timeline("first", 0, closed=30)
    timelines = [
        first,
        timeline("again", 120, place=NEAR),  # 2 h later, 282 m away: a repeat
        timeline("elsewhere", 120, place=FAR),  # 940 m away
        timeline("other", 120, category="fight"),  # another category
        timeline("next-week", 60 * 24 * 7),  # too late
        timeline("before-close", 10),  # received before the first was closed
    ]
    assert repeats(timelines) == {"again"}
    [row, _] = response_table(timelines, T0, T0 + timedelta(hours=3))
    assert row.repeat_rate == pytest.approx(
        1 / 5
    )  # again, among first, again, elsewhere, other, before-close


def test_percentiles_and_areas() -> None:
    assert nearest_rank([], 0.9) is None
    assert nearest_rank([5.0], 0.9) == 5.0
    assert nearest_rank([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert nearest_rank([float(n) for n in range(1, 12)], 0.9) == 10.0
    workstations = {"WS-01": HERE, "WS-02": FAR}
    assert area_of(NEAR, workstations) == "WS-01" and area_of((119.45, 32.39), workstations) == "WS-02"
    assert area_of(HERE, {}) == "none"
