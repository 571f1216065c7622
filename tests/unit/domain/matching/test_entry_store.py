"""streams/domain/matching/entry_store.py: an entry packed into bytes and back is the same entry, times keep
their offsets, the shared texts are counted and let go, and a packed entry is far smaller than the object."""

from __future__ import annotations

import gc
import sys
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from streams.domain.matching.entry_store import EntryStore
from streams.domain.matching.watchlist import CATEGORIES, WatchlistEntry, WatchlistIndex

NOW = datetime(2026, 12, 3, 8, 30, 15, 123456, tzinfo=UTC)
ZONES = [
    UTC,
    timezone(timedelta(hours=8)),
    timezone(timedelta(hours=5, minutes=30)),
    timezone(-timedelta(hours=3)),
]

texts = st.text(min_size=1, max_size=40)
moments = st.builds(
    lambda seconds, micros, zone: (NOW + timedelta(seconds=seconds, microseconds=micros)).astimezone(zone),
    st.integers(-400 * 86400, 400 * 86400),
    st.integers(0, 999_999),
    st.sampled_from(ZONES),
)
entries = st.builds(
    WatchlistEntry,
    entry_id=st.text(min_size=1, max_size=64),
    plate=st.sampled_from(["苏K12345", "苏K·12345", "京A0B8D9", "使123456"]),
    plate_normalised=st.sampled_from(["苏K12345", "京A0B8D9"]),
    category=st.sampled_from(sorted(CATEGORIES)),
    priority=st.integers(1, 3),
    reason=texts,
    source_agency=texts,
    added_by=texts,
    valid_from=moments,
    valid_until=st.none() | moments,
    covert=st.booleans(),
    incident_id=st.none() | texts,
    instructions=st.none() | st.text(max_size=100),
    listed_at=st.none() | moments.map(lambda m: m.astimezone(UTC)),
    signer=st.none() | texts,
    proof=st.none() | st.binary(min_size=96, max_size=96),
)


@given(entries)
def test_an_unpacked_entry_equals_the_packed_one_and_keeps_its_offsets(entry: WatchlistEntry) -> None:
    store = EntryStore()
    back = store.unpack(entry.entry_id, store.pack(entry))
    assert back == entry
    assert back.valid_from.isoformat() == entry.valid_from.isoformat()
    if entry.valid_until is not None:
        assert back.valid_until is not None and back.valid_until.isoformat() == entry.valid_until.isoformat()


def _entry(n: int, reason: str = "盗抢车辆") -> WatchlistEntry:
    return WatchlistEntry(
        entry_id=f"WL-{n:07d}",
        plate=f"苏K{n:05d}",
        plate_normalised=f"苏K{n:05d}",
        category="stolen",
        priority=2,
        reason=reason,
        source_agency="扬州市公安局",
        added_by="officer-0001",
        valid_from=NOW,
        valid_until=None,
        covert=False,
        listed_at=NOW,
        signer="officer-0001",
        proof=bytes(96),
    )


def test_shared_texts_are_kept_once_and_let_go_with_the_last_entry() -> None:
    index = WatchlistIndex()
    for n in range(100):
        index.upsert(_entry(n))
    assert index.distinct_texts() == 3  # reason, agency, officer (added_by and signer are one text)
    index.upsert(_entry(5, reason="套牌"))  # an update: its old reason is still another entry's
    assert index.distinct_texts() == 4
    for n in range(100):
        assert index.remove(f"WL-{n:07d}") is not None
    assert index.distinct_texts() == 0 and len(index) == 0
    index.upsert(_entry(7, reason="新的原因"))
    assert index.get("WL-0000007") == _entry(7, reason="新的原因")


def test_a_packed_entry_is_a_fraction_of_the_object_and_the_index_gives_the_collector_nothing_per_entry() -> (
    None
):
    entry = _entry(1)
    blob = EntryStore().pack(entry)
    as_object = sys.getsizeof(entry) + sys.getsizeof(entry.plate) + sys.getsizeof(entry.proof)
    assert sys.getsizeof(blob) < 0.7 * as_object
    index = WatchlistIndex()
    gc.collect()
    before = len(gc.get_objects())
    for n in range(2000):
        index.upsert(_entry(n))
    gc.collect()
    assert len(gc.get_objects()) - before < 50  # objects the cyclic collector walks: none per entry
    assert len(index) == 2000
