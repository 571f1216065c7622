"""Ids typed as prefixes (streams/tools/targets.py): resolved tier by tier, refused when unknown or ambiguous,
and the short ids the console shows are ones they resolve."""

from __future__ import annotations

from typing import Any

import pytest

from streams.tools.targets import TargetError, lockdown_tiers, point_tiers, resolve


def test_a_unique_prefix_or_the_whole_id_names_the_one_candidate() -> None:
    ids = {"al-9684a247e3770f8ab6e9279d", "al-1234567890abcdef12345678"}
    assert resolve("al-9684a247", [ids], "alert") == "al-9684a247e3770f8ab6e9279d"
    assert resolve("al-1234567890abcdef12345678", [ids], "alert") == "al-1234567890abcdef12345678"


def test_an_exact_id_wins_over_the_longer_ids_it_starts() -> None:
    assert resolve("BP-01", [{"BP-01", "BP-012", "BP-013"}], "point") == "BP-01"


def test_an_unknown_id_is_refused_in_one_line() -> None:
    with pytest.raises(TargetError, match=r"^no alert 'al-ffff': no id is or starts with it$"):
        resolve("al-ffff", [{"al-0000"}, {"al-1111"}], "alert")


def test_an_ambiguous_prefix_lists_its_candidates_and_says_how_many() -> None:
    with pytest.raises(TargetError) as refused:
        resolve("BP-0", [{f"BP-0{n}" for n in range(8)}], "point")
    text = str(refused.value)
    assert "ambiguous: it starts 8 ids (BP-00, BP-01, BP-02, BP-03, BP-04 and 3 more)" in text
    assert "\n" not in text


def test_the_first_tier_with_a_match_decides_and_later_tiers_are_read_only_when_needed() -> None:
    read: list[str] = []

    def tiers() -> Any:
        read.append("active")
        yield {"ld-7c22a4ae24773cef873f"}
        read.append("all")
        yield {"ld-7c22a4ae24773cef873f", "ld-7c22a4ae00000000000"}

    assert resolve("ld-7c22", tiers(), "lockdown") == "ld-7c22a4ae24773cef873f" and read == ["active"]
    assert resolve("ld-7c22a4ae0", tiers(), "lockdown") == "ld-7c22a4ae00000000000"


def test_lockdowns_are_told_apart_by_their_latest_status() -> None:
    events = [
        {"lockdown_id": "ld-a", "status": "active"},
        {"lockdown_id": "ld-b", "status": "active"},
        {"lockdown_id": "ld-b", "status": "lifted"},
        {"status": "active"},
    ]
    assert lockdown_tiers(events) == ({"ld-a"}, {"ld-a", "ld-b"})


def test_points_are_those_active_lockdowns_need_the_unstaffed_first() -> None:
    def raised(ld: str, *points: str) -> dict[str, Any]:
        plan = {"rings": [{"ring": "core", "required": list(points)}]}
        return {"lockdown_id": ld, "status": "active", "type": "raised", "plan": plan}

    events = [
        raised("ld-a", "BP-001", "BP-002"),
        raised("ld-b", "BP-009"),
        {"lockdown_id": "ld-a", "status": "active", "type": "point_staffed", "point_id": "BP-001"},
        {"lockdown_id": "ld-b", "status": "lifted", "type": "lifted"},
    ]
    assert point_tiers(events) == ({"BP-002"}, {"BP-001", "BP-002"})
