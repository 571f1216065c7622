"""Watchlist entries and the in-memory index every worker matches hits against.

The index is a full replica of the compacted `watchlist.entries` topic: `apply` takes one record (an entry,
or a tombstone that deletes it), `lookup` answers in O(1) per plate. Validity windows are checked at
lookup time, so an entry that expires simply stops matching without any timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.equivalence import Difference, differences, equivalence_key
from streams.domain.matching.plates import PlateFormatError, parse_plate

CATEGORIES = frozenset({"stolen", "wanted", "incident", "lookout", "fake_plate", "other"})


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    entry_id: str
    plate: str
    plate_normalised: str
    category: str
    priority: int
    reason: str
    source_agency: str
    added_by: str
    valid_from: datetime
    valid_until: datetime | None
    covert: bool
    incident_id: str | None = None
    instructions: str | None = None
    # When this listing reached Kafka (the broker timestamp of its first record since the entry id was last
    # deleted; an update keeps it): live matching answers for hits that arrived after it, retro-match for
    # the ones before. None when unknown (an entry built outside a consumer).
    listed_at: datetime | None = None

    def is_valid_at(self, moment: datetime) -> bool:
        """True when the entry is in force at `moment` (valid_from inclusive, valid_until exclusive)."""
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)

    def has_expired(self, now: datetime) -> bool:
        return self.valid_until is not None and now >= self.valid_until


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
    key: str | None, message: EntryFields, *, listed_at: datetime | None = None
) -> WatchlistEntry:
    """What a schema cannot say about a decoded entry: its key, its validity window and its plate grammar.
    `listed_at` is the record's broker timestamp, where a consumer knows it. Raises `InvalidInput`."""
    if key != message.entry_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from entry_id {message.entry_id!r}")
    valid_from = fields.moment(message.valid_from, "valid_from")
    valid_until = fields.optional_moment(message.valid_until, "valid_until")
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidInput("invalid_value", "valid_until must be after valid_from")
    try:
        normalised = parse_plate(message.plate).normalised
    except PlateFormatError as exc:
        raise InvalidInput("plate_format", f"plate: {exc}") from None
    return WatchlistEntry(
        entry_id=message.entry_id,
        plate=message.plate,
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
    )


class WatchlistIndex:
    """Entries by id, by normalised plate and by OCR-equivalence key; several entries may list one plate."""

    def __init__(self) -> None:
        self._by_id: dict[str, WatchlistEntry] = {}
        self._by_plate: dict[str, dict[str, WatchlistEntry]] = {}
        self._by_key: dict[str, dict[str, WatchlistEntry]] = {}
        # Entries compared character by character by `lookup_equivalent`: lets tests prove the lookup
        # inspects only entries sharing the key, never the whole list.
        self.inspected = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[WatchlistEntry]:
        return iter(self._by_id.values())

    def get(self, entry_id: str) -> WatchlistEntry | None:
        return self._by_id.get(entry_id)

    def upsert(self, entry: WatchlistEntry) -> None:
        """Add or replace an entry. An update keeps the time of the first listing: which hits live matching
        and the retro-match each answer for must not move when an entry's details change."""
        old = self.remove(entry.entry_id)
        if old is not None and old.listed_at is not None:
            first = old.listed_at if entry.listed_at is None else min(old.listed_at, entry.listed_at)
            entry = replace(entry, listed_at=first)
        self._by_id[entry.entry_id] = entry
        self._by_plate.setdefault(entry.plate_normalised, {})[entry.entry_id] = entry
        self._by_key.setdefault(equivalence_key(entry.plate_normalised), {})[entry.entry_id] = entry

    def remove(self, entry_id: str) -> WatchlistEntry | None:
        old = self._by_id.pop(entry_id, None)
        if old is not None:
            _discard(self._by_plate, old.plate_normalised, entry_id)
            _discard(self._by_key, equivalence_key(old.plate_normalised), entry_id)
        return old

    def lookup(self, plate_normalised: str, *, event_time: datetime, now: datetime) -> list[WatchlistEntry]:
        """Entries for this exact plate in force at the sighting and not expired by now, most urgent first."""
        listed = self._by_plate.get(plate_normalised)
        if not listed:
            return []
        found = [e for e in listed.values() if e.is_valid_at(event_time) and not e.has_expired(now)]
        found.sort(key=lambda e: (e.priority, e.entry_id))
        return found

    def lookup_equivalent(
        self, read_normalised: str, *, max_substitutions: int, event_time: datetime, now: datetime
    ) -> list[tuple[WatchlistEntry, tuple[Difference, ...]]]:
        """Entries in force whose plate differs from the read only in 1..`max_substitutions` confusable
        characters, with the differences; exact matches are `lookup`'s."""
        same_key = self._by_key.get(equivalence_key(read_normalised))
        if not same_key:
            return []
        found = []
        for entry in same_key.values():
            self.inspected += 1
            listed = entry.plate_normalised
            if listed == read_normalised or len(listed) != len(read_normalised):
                continue
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
        counts = dict.fromkeys(sorted(CATEGORIES), 0)
        for entry in self._by_id.values():
            counts[entry.category] += 1
        return counts


def _discard(mapping: dict[str, dict[str, WatchlistEntry]], key: str, entry_id: str) -> None:
    bucket = mapping[key]
    del bucket[entry_id]
    if not bucket:
        del mapping[key]
