"""Watchlist entries as compact bytes: how every worker holds a national list of millions in memory.

A `WatchlistEntry` object, its plate strings, its proof and the dict slots cost ~700 bytes here, and each
object is one more for the cyclic garbage collector to walk on every full collection. Packed, an entry is
one `bytes` object of ~190 bytes that the collector never visits: the texts many entries repeat (reason,
agency, officer, instructions, signer, incident) are numbers into a shared, reference-counted table;
times are integers; the plates and the proof are inline (the entry id is the index's key, so it is not
repeated inside). An entry is unpacked only when something asks for it (a hit's probe found its bucket,
a console lists the index), which is rare next to the reads that match nothing.

Round trip is exact: `unpack(e.entry_id, pack(e)) == e`, and times keep their UTC offsets
(tests/unit/domain/matching/test_entry_store.py).
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from streams.domain.matching.watchlist_entry import CATEGORIES, WatchlistEntry

_CATEGORY_CODES = {name: code for code, name in enumerate(sorted(CATEGORIES))}
_CATEGORY_NAMES = sorted(CATEGORIES)

# flags
_COVERT = 1
_UNTIL = 2
_LISTED = 4
_PLATE_IS_NORMALISED = 8

_NONE = 0  # text number 0 means None; the table's numbers start at 1
# category, priority, flags; reason, agency, added_by, incident, instructions, signer (text numbers);
# valid_from µs and UTC offset s, valid_until µs and offset s, listed_at µs; lengths of the plate, the
# normalised plate (0: the plate is normalised) and the proof.
_FIXED = struct.Struct("<BBB6IqiqiqBBB")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TIMES = 4096


class Texts:
    """Texts by number, each kept once while some entry refers to it (a count per text)."""

    def __init__(self) -> None:
        self._texts: list[str | None] = [None]
        self._counts: list[int] = [0]
        self._numbers: dict[str, int] = {}
        self._free: list[int] = []

    def __len__(self) -> int:
        return len(self._numbers)

    def take(self, text: str | None) -> int:
        if text is None:
            return _NONE
        number = self._numbers.get(text)
        if number is None:
            if self._free:
                number = self._free.pop()
                self._texts[number], self._counts[number] = text, 0
            else:
                number = len(self._texts)
                self._texts.append(text)
                self._counts.append(0)
            self._numbers[text] = number
        self._counts[number] += 1
        return number

    def drop(self, number: int) -> None:
        if number == _NONE:
            return
        self._counts[number] -= 1
        if self._counts[number] == 0:
            text = self._texts[number]
            if text is not None:
                del self._numbers[text]
            self._texts[number] = None
            self._free.append(number)

    def __getitem__(self, number: int) -> str | None:
        return self._texts[number]


class EntryStore:
    """Packs entries into bytes and back, with the text table they share (one store per index)."""

    def __init__(self) -> None:
        self.texts = Texts()
        self._times: dict[tuple[int, int], datetime] = {}
        self._zones: dict[int, tzinfo] = {}
        # Packing's view of the same: a list's entries share time objects (check_entry), so each object is
        # converted once; keyed by identity, holding the object so its id is not reused.
        self._micros: dict[int, tuple[datetime, tuple[int, int]]] = {}

    def pack(self, entry: WatchlistEntry) -> bytes:
        take = self.texts.take
        plate = entry.plate.encode()
        normalised = b"" if entry.plate == entry.plate_normalised else entry.plate_normalised.encode()
        proof = entry.proof or b""
        flags = (
            (_COVERT if entry.covert else 0)
            | (_UNTIL if entry.valid_until is not None else 0)
            | (_LISTED if entry.listed_at is not None else 0)
            | (_PLATE_IS_NORMALISED if not normalised else 0)
        )
        from_us, from_offset = self._micros_of(entry.valid_from)
        until_us, until_offset = (0, 0) if entry.valid_until is None else self._micros_of(entry.valid_until)
        listed_us = 0 if entry.listed_at is None else self._micros_of(entry.listed_at)[0]
        if len(plate) > 255 or len(normalised) > 255 or len(proof) > 255:
            raise ValueError(f"entry {entry.entry_id!r}: a field is too long to pack")
        fixed = _FIXED.pack(
            _CATEGORY_CODES[entry.category],
            entry.priority,
            flags,
            take(entry.reason),
            take(entry.source_agency),
            take(entry.added_by),
            take(entry.incident_id),
            take(entry.instructions),
            take(entry.signer),
            from_us,
            from_offset,
            until_us,
            until_offset,
            listed_us,
            len(plate),
            len(normalised),
            len(proof),
        )
        return b"".join((fixed, plate, normalised, proof))

    def release(self, blob: bytes) -> None:
        """Forget the texts of a packed entry that leaves the index."""
        fields = _FIXED.unpack_from(blob)
        for number in fields[3:9]:
            self.texts.drop(number)

    def unpack(self, entry_id: str, blob: bytes) -> WatchlistEntry:
        (
            category,
            priority,
            flags,
            reason,
            agency,
            added_by,
            incident,
            instructions,
            signer,
            from_us,
            from_offset,
            until_us,
            until_offset,
            listed_us,
            plate_len,
            normalised_len,
            proof_len,
        ) = _FIXED.unpack_from(blob)
        at = _FIXED.size
        plate = blob[at : at + plate_len].decode()
        at += plate_len
        normalised = plate if flags & _PLATE_IS_NORMALISED else blob[at : at + normalised_len].decode()
        at += normalised_len
        texts = self.texts
        return WatchlistEntry(
            entry_id=entry_id,
            plate=plate,
            plate_normalised=normalised,
            category=_CATEGORY_NAMES[category],
            priority=priority,
            reason=texts[reason] or "",
            source_agency=texts[agency] or "",
            added_by=texts[added_by] or "",
            valid_from=self._time(from_us, from_offset),
            valid_until=self._time(until_us, until_offset) if flags & _UNTIL else None,
            covert=bool(flags & _COVERT),
            incident_id=texts[incident],
            instructions=texts[instructions],
            listed_at=self._time(listed_us, 0) if flags & _LISTED else None,
            signer=texts[signer],
            proof=blob[at : at + proof_len] if proof_len else None,
        )

    def _micros_of(self, moment: datetime) -> tuple[int, int]:
        found = self._micros.get(id(moment))
        if found is not None and found[0] is moment:
            return found[1]
        converted = _micros(moment)
        if len(self._micros) >= _MAX_TIMES:
            self._micros.clear()
        self._micros[id(moment)] = (moment, converted)
        return converted

    def _time(self, micros: int, offset: int) -> datetime:
        found = self._times.get((micros, offset))
        if found is None:
            zone = self._zones.get(offset)
            if zone is None:
                zone = self._zones[offset] = UTC if offset == 0 else timezone(timedelta(seconds=offset))
            found = (_EPOCH + timedelta(microseconds=micros)).astimezone(zone)
            if len(self._times) >= _MAX_TIMES:
                self._times.clear()
            self._times[(micros, offset)] = found
        return found


def _micros(moment: datetime) -> tuple[int, int]:
    """Microseconds since the epoch and the UTC offset in seconds (an aware time: the domain has no other)."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a watchlist time must carry its UTC offset")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds, int(offset.total_seconds())
