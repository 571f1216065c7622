from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.codecs import parse_entry
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.watchlist import WatchlistIndex
from tests.unit.fixtures import NOW, entry_message


def entry(**changes: object):
    message = entry_message(**changes)
    return parse_entry(str(message["entry_id"]), message)


def test_entry_plate_is_normalised_for_lookup() -> None:
    e = entry(plate="苏ｋ·１２３４５")
    assert e.plate_normalised == "苏K12345" and e.plate == "苏ｋ·１２３４５"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"category": "speeding"}, "invalid_value"),
        ({"priority": 4}, "invalid_value"),
        ({"priority": "1"}, "wrong_type"),
        ({"covert": "no"}, "wrong_type"),
        ({"plate": "WJ12345"}, "plate_format"),
        ({"valid_until": (NOW - timedelta(days=2)).isoformat()}, "invalid_value"),
        ({"reason": ""}, "invalid_value"),
    ],
)
def test_invalid_entries_are_refused(changes: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        entry(**changes)
    assert caught.value.code == code


def test_key_must_equal_entry_id() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_entry("WL-2", entry_message())
    assert caught.value.code == "key_mismatch"


def test_lookup_respects_validity_window() -> None:
    index = WatchlistIndex()
    index.upsert(entry())
    assert index.lookup("苏K12345", event_time=NOW, now=NOW)
    assert not index.lookup("苏K12345", event_time=NOW - timedelta(days=2), now=NOW)  # before valid_from
    assert not index.lookup("苏K12345", event_time=NOW, now=NOW + timedelta(days=8))  # expired by now
    assert not index.lookup("苏K12346", event_time=NOW, now=NOW)


def test_open_ended_entry_never_expires() -> None:
    index = WatchlistIndex()
    index.upsert(entry(valid_until=None))
    assert index.lookup("苏K12345", event_time=NOW + timedelta(days=3650), now=NOW + timedelta(days=3650))


def test_update_moves_entry_to_new_plate_and_delete_removes_it() -> None:
    index = WatchlistIndex()
    index.upsert(entry())
    index.upsert(entry(plate="苏A00001"))
    assert not index.lookup("苏K12345", event_time=NOW, now=NOW)
    assert [e.entry_id for e in index.lookup("苏A00001", event_time=NOW, now=NOW)] == ["WL-1"]
    assert index.remove("WL-1") is not None
    assert len(index) == 0 and not index.lookup("苏A00001", event_time=NOW, now=NOW)
    assert index.remove("WL-1") is None


def test_several_entries_on_one_plate_come_most_urgent_first() -> None:
    index = WatchlistIndex()
    index.upsert(entry(entry_id="WL-b", priority=3))
    index.upsert(entry(entry_id="WL-a", priority=1, category="wanted"))
    found = index.lookup("苏K12345", event_time=NOW, now=NOW)
    assert [e.entry_id for e in found] == ["WL-a", "WL-b"]
    assert index.counts_by_category()["wanted"] == 1


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["WL-1", "WL-2", "WL-3"]),
            st.sampled_from(["苏K12345", "苏A00001", "沪B2345C", None]),
        ),
        max_size=30,
    )
)
def test_index_equals_last_write_per_id(ops: list[tuple[str, str | None]]) -> None:
    """Whatever order of upserts and deletes, the index holds exactly the last write of each id."""
    index = WatchlistIndex()
    expected: dict[str, str] = {}
    for entry_id, plate in ops:
        if plate is None:
            index.remove(entry_id)
            expected.pop(entry_id, None)
        else:
            index.upsert(entry(entry_id=entry_id, plate=plate))
            expected[entry_id] = plate
    assert {e.entry_id: e.plate for e in index} == expected
    for entry_id, plate in expected.items():
        normalised = plate.replace("·", "")
        assert entry_id in {e.entry_id for e in index.lookup(normalised, event_time=NOW, now=NOW)}


def test_the_counts_by_category_follow_upserts_updates_and_removals() -> None:
    from streams.codecs import parse_entry as parse
    from streams.domain.matching.watchlist import WatchlistIndex as Index

    index = Index()
    index.upsert(parse("WL-1", entry_message(entry_id="WL-1", category="stolen")))
    index.upsert(parse("WL-2", entry_message(entry_id="WL-2", category="stolen", plate="苏K12346")))
    index.upsert(parse("WL-1", entry_message(entry_id="WL-1", category="wanted")))  # an update moves it
    assert index.counts_by_category()["stolen"] == 1 and index.counts_by_category()["wanted"] == 1
    index.remove("WL-2")
    index.remove("WL-2")  # twice: nothing more
    assert index.counts_by_category()["stolen"] == 0 and sum(index.counts_by_category().values()) == 1
