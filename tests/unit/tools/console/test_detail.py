"""One alert in full (`citygate console --alert ID`): found by its id or a unique prefix of it, and drawn
with what the list has no room for (entry, reason, actions, sightings, refs, decision), times in the city's
zone, message text never as markup."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from streams import topics
from streams.tools.console import ConsoleError
from streams.tools.console.detail import alert_detail
from streams.tools.console.io import _detail
from tests.unit.tools.console.test_console import CST, example, new_state


def _text(renderable: Any, width: int = 120) -> str:
    console = Console(record=True, width=width, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_every_part_of_an_alert_is_shown() -> None:
    state = new_state()
    state.feed(topics.ALERTS, example("alerts", "maximal"))
    text = _text(alert_detail(state.alerts["al-9684a247e3770f8ab6e9279d"], CST))
    for shown in (
        "Alert al-9684a247e3770f8ab6e9279d",
        "watchlist_match  P1  new",
        "苏KD12345  (read as 苏K·D12345)",
        "YZ-EC-0001  lane 5  outbound  ring city",
        "happened 2026-11-29 08:15:02 +0800  raised 2026-11-29 08:15:02 +0800",
        "YZ-INC-20261128-0193",
        "YZPSB-WL-2026-004711  stolen",
        "于广陵区文昌中路被盗",
        "发现后立即报告指挥中心",
        "exact  listed as 苏K·D12345  read 苏KD12345",
        "intercept, verify_vehicle_documents",
        "anpr.hits",
        "gw-yz-ec-01:20261129:0000418233",
        "1882731",
        "watchlist.entries",
        "none yet",
        "citygate alert accept al-9684a247e3770f8ab6e9279d --by YOU",
    ):
        assert shown in text, shown


def test_sightings_and_a_decision_in_the_citys_zone() -> None:
    state = new_state()
    state.feed(topics.ALERTS, example("alerts", "candidate-match-with-sightings"))
    text = _text(alert_detail(state.alerts["al-9684a247e3770f8ab6e9279d"], CST))
    assert "1 reads  first 2026-11-29 08:15:02 +0800  last 2026-11-29 08:15:02 +0800  lanes 5" in text
    state.feed(topics.ALERTS, example("alerts", "rejected-utc"))
    text = _text(alert_detail(state.alerts["al-9684a247e3770f8ab6e9279d"], CST))
    assert "rejected  by op-0012  at 2026-11-29 08:21:40 +0800  misread" in text  # 00:21:40Z, shown at +08


def test_odd_fields_show_as_dashes_or_json_never_as_markup() -> None:
    state = new_state()
    odd = example(
        "alerts",
        "maximal",
        match={"entry_id": "[bold]WL[/bold]", "reason": 7},
        refs="none",
        actions=None,
        sightings=[1],
        review={"decision": "accepted", "at": "yesterday"},
    )
    state.feed(topics.ALERTS, odd)
    text = _text(alert_detail(state.alerts[odd["alert_id"]], CST))
    assert "[bold]WL[/bold]" in text and "reason        7" in text
    assert "accepted  by -  at yesterday" in text


def test_the_alert_is_named_by_its_id_or_a_unique_prefix() -> None:
    state = new_state()
    for alert_id in (
        "al-9684a247e3770f8ab6e9279d",
        "al-9684a247e3aa0f8ab6e92000",
        "al-1b2c3d4e5f60718293a4b5c6",
    ):
        state.feed(topics.ALERTS, example("alerts", "maximal", alert_id=alert_id))
    assert "Alert al-1b2c3d4e5f60718293a4b5c6" in _text(_detail(state, "al-1b2c"))
    assert "Alert al-9684a247e3770f8ab6e9279d" in _text(_detail(state, "al-9684a247e37"))
    with pytest.raises(
        ConsoleError, match=r"^al-9684a247 is the start of 2 alerts \(al-9684a247e37.*give more"
    ):
        _detail(state, "al-9684a247")
    with pytest.raises(
        ConsoleError, match=r"^no alert al-ffff… among the 3 alerts of the last 2 h \(a longer"
    ):
        _detail(state, "al-ffff")
