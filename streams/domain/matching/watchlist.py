"""Watchlist entries and the in-memory index every worker matches hits against.

The index is a full replica of the compacted `watchlist.entries` topic: `apply` takes one record (an entry,
or a tombstone that deletes it), `lookup` answers in O(1) per plate. Validity windows are checked at
lookup time, so an entry that expires simply stops matching without any timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.entry_store import EntryStore
from streams.domain.matching.equivalence import Difference, differences, equivalence_key
from streams.domain.matching.plates import PlateFormatError, parse_plate
from streams.domain.matching.watchlist_entry import CATEGORIES as CATEGORIES
from streams.domain.matching.watchlist_entry import WatchlistEntry as WatchlistEntry
from streams.domain.timebounds import TIMELESS, TimeBounds, check_time


class EntryFields(Protocol):
    """A `watchlist.entries` message as decoded: every field typed and bounded by the schema."""

    @property
    def entry_id(self) -> str: ...
    @property
    def plate(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def priority(self) -> float: ...  # a whole number
    @property
    def reason(self) -> str: ...
    @property
    def source_agency(self) -> str: ...
    @property
    def added_by(self) -> str: ...
    @property
    def valid_from(self) -> str: ...
    @property
    def valid_until(self) -> str | None: ...
    @property
    def covert(self) -> bool: ...
    @property
    def incident_id(self) -> str | None: ...
    @property
    def instructions(self) -> str | None: ...


def check_entry(
    key: str | None,
    message: EntryFields,
    *,
    listed_at: datetime | None = None,
    ref: datetime | None = None,
    bounds: TimeBounds = TIMELESS,
    signer: str | None = None,
    proof: bytes | None = None,
) -> WatchlistEntry:
    """What a schema cannot say about a decoded entry: its key, its validity window (sane against `ref`,
    the record's broker time, else `listed_at`) and its plate grammar. `listed_at` is the record's broker
    timestamp, where a consumer knows it; `signer` and `proof` travel with the entry (WatchlistEntry says
    why). Raises `InvalidInput`."""
    if key != message.entry_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from entry_id {message.entry_id!r}")
    valid_from = entry_time(message.valid_from, "valid_from")
    valid_until = None if message.valid_until is None else entry_time(message.valid_until, "valid_until")
    ref = ref or listed_at
    if ref is not None:
        check_time(valid_from, "valid_from", ref=ref, max_age=bounds.entry_max_age, max_ahead=bounds.max_skew)
        if valid_until is not None:
            ahead = bounds.entry_max_validity
            check_time(valid_until, "valid_until", ref=ref, max_age=bounds.entry_max_age, max_ahead=ahead)
    if valid_until is not None and valid_until.timestamp() <= valid_from.timestamp():
        raise InvalidInput("invalid_value", "valid_until must be after valid_from")
    try:
        normalised = parse_plate(message.plate).normalised
    except PlateFormatError as exc:
        raise InvalidInput("plate_format", f"plate: {exc}") from None
    # Texts many entries repeat are kept once by the index's store (streams/domain/matching/entry_store.py).
    return WatchlistEntry(
        entry_id=message.entry_id,
        plate=normalised if message.plate == normalised else message.plate,
        plate_normalised=normalised,
        category=message.category,
        priority=int(message.priority),
        reason=message.reason,
        source_agency=message.source_agency,
        added_by=message.added_by,
        valid_from=valid_from,
        valid_until=valid_until,
        covert=message.covert,
        incident_id=message.incident_id,
        instructions=message.instructions,
        listed_at=listed_at,
        signer=signer,
        proof=proof,
    )


# Times lists repeat (a bulk import's validity, most often) are parsed once and are one object each: the
# index's store converts each object to integers once (streams/domain/matching/entry_store.py).
_TIMES: dict[str, datetime] = {}
_MAX_TIMES = 4096


def entry_time(text: str, name: str) -> datetime:
    """An entry's time field, parsed once per distinct text (the same object each time). Raises
    `InvalidInput`."""
    found = _TIMES.get(text)
    if found is not None:
        return found
    moment = fields.moment(text, name)
    if len(_TIMES) >= _MAX_TIMES:
        _TIMES.clear()
    _TIMES[text] = moment
    return moment


# The ids of the entries sharing an equivalence key: one id (the very string that keys the entry), or
# (rarely) a tuple of them. No dict per bucket: a million entries are mostly one per plate.
Bucket = str | tuple[str, ...]


class WatchlistIndex:
    """Entries by id, and by the hash of their plate's OCR-equivalence key (exact and equivalent lookups
    both start from that one bucket); several entries may list one plate.

    Compact, because every worker holds the whole list and a national list has millions of entries: each
    entry is packed into one bytes object (EntryStore says how) under its id, and each key bucket (keyed
    by the key's hash, an int, not the key string) holds the ids. An entry is unpacked only
    when asked for, so what a lookup returns is equal to what was upserted, not the same object. A hash
    collision can put unrelated plates in one bucket, so every lookup compares the plates themselves.
    """

    def __init__(self) -> None:
        self._store = EntryStore()
        self._by_id: dict[str, bytes] = {}
        self._by_key: dict[int, Bucket] = {}
        self._counts = dict.fromkeys(sorted(CATEGORIES), 0)  # kept as entries come and go: O(1) to read
        # Entries compared character by character by `lookup_equivalent`: lets tests prove the lookup
        # inspects only entries sharing the key, never the whole list.
        self.inspected = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[WatchlistEntry]:
        unpack = self._store.unpack
        return (unpack(entry_id, blob) for entry_id, blob in list(self._by_id.items()))

    def get(self, entry_id: str) -> WatchlistEntry | None:
        blob = self._by_id.get(entry_id)
        return None if blob is None else self._store.unpack(entry_id, blob)

    def upsert(self, entry: WatchlistEntry) -> None:
        """Add or replace an entry. An update keeps the time of the first listing: which hits live matching
        and the retro-match each answer for must not move when an entry's details change."""
        old = self.remove(entry.entry_id)
        if old is not None and old.listed_at is not None:
            first = old.listed_at if entry.listed_at is None else min(old.listed_at, entry.listed_at)
            entry = replace(entry, listed_at=first)
        entry_id = entry.entry_id
        self._by_id[entry_id] = self._store.pack(entry)
        self._counts[entry.category] += 1
        slot = hash(equivalence_key(entry.plate_normalised))
        bucket = self._by_key.get(slot)
        if bucket is None:
            self._by_key[slot] = entry_id
        elif isinstance(bucket, tuple):
            self._by_key[slot] = (*bucket, entry_id)
        else:
            self._by_key[slot] = (bucket, entry_id)

    def remove(self, entry_id: str) -> WatchlistEntry | None:
        blob = self._by_id.pop(entry_id, None)
        if blob is None:
            return None
        old = self._store.unpack(entry_id, blob)
        self._store.release(blob)
        self._counts[old.category] -= 1
        slot = hash(equivalence_key(old.plate_normalised))
        bucket = self._by_key.get(slot)
        rest = tuple(i for i in _ids(bucket) if i != entry_id)
        if not rest:
            self._by_key.pop(slot, None)
        else:
            self._by_key[slot] = rest[0] if len(rest) == 1 else rest
        return old

    def probe_key(self, key: str) -> tuple[WatchlistEntry, ...]:
        """The entries in the bucket of an equivalence key (see `probe`)."""
        bucket = self._by_key.get(hash(key))
        if bucket is None:
            return ()
        entries = self._unpacked(bucket)
        self.inspected += len(entries)
        return entries

    def probe(self, text: str) -> tuple[str, tuple[WatchlistEntry, ...]]:
        """The equivalence key of a normalised reading and the entries whose plates share its bucket: one
        translate, one hash and one dict probe, nothing for the 99.9% of reads that match nothing. The
        entries may list the reading exactly, be OCR-equivalent to it, or (a hash collision) neither."""
        key = equivalence_key(text)
        return key, self.probe_key(key)

    def lookup(self, plate_normalised: str, *, event_time: datetime, now: datetime) -> list[WatchlistEntry]:
        """Entries for this exact plate in force at the sighting and not expired by now, most urgent first."""
        bucket = self._by_key.get(hash(equivalence_key(plate_normalised)))
        if bucket is None:
            return []
        found = [
            e
            for e in self._unpacked(bucket)
            if e.plate_normalised == plate_normalised and e.is_valid_at(event_time) and not e.has_expired(now)
        ]
        found.sort(key=lambda e: (e.priority, e.entry_id))
        return found

    def lookup_equivalent(
        self, read_normalised: str, *, max_substitutions: int, event_time: datetime, now: datetime
    ) -> list[tuple[WatchlistEntry, tuple[Difference, ...]]]:
        """Entries in force whose plate differs from the read only in 1..`max_substitutions` confusable
        characters, with the differences; exact matches are `lookup`'s."""
        key = equivalence_key(read_normalised)
        bucket = self._by_key.get(hash(key))
        if bucket is None:
            return []
        found = []
        for entry in self._unpacked(bucket):
            self.inspected += 1
            listed = entry.plate_normalised
            if listed == read_normalised or len(listed) != len(read_normalised):
                continue
            if equivalence_key(listed) != key:
                continue  # another key with the same hash
            diffs = differences(read_normalised, listed)
            if (
                len(diffs) <= max_substitutions
                and entry.is_valid_at(event_time)
                and not entry.has_expired(now)
            ):
                found.append((entry, diffs))
        found.sort(key=lambda pair: (len(pair[1]), pair[0].priority, pair[0].entry_id))
        return found

    def counts_by_category(self) -> dict[str, int]:
        return dict(self._counts)

    def distinct_texts(self) -> int:
        """Texts the packed entries share (reasons, agencies, officers…): a gauge of the table's size."""
        return len(self._store.texts)

    def _unpacked(self, bucket: Bucket) -> tuple[WatchlistEntry, ...]:
        unpack, blobs = self._store.unpack, self._by_id
        if isinstance(bucket, tuple):
            return tuple(unpack(entry_id, blobs[entry_id]) for entry_id in bucket)
        return (unpack(bucket, blobs[bucket]),)


def _ids(bucket: Bucket | None) -> tuple[str, ...]:
    if bucket is None:
        return ()
    return bucket if isinstance(bucket, tuple) else (bucket,)
