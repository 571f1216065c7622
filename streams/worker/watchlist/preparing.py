"""A watchlist record worked out as far as the record alone allows: what a loading helper process sends.

Loading a million signed entries is CPU-bound in the worker's one Python thread (~30 µs an entry: decoding,
the signature's statement, the entry's checks, then the gate and packing). Most of that depends on nothing
but the record, so helper processes (streams/worker/watchlist/loader.py) do it on the other cores: decode,
the statement and its digest, the plate grammar and the times. What stays in the worker is what depends
on its state (the registry, the nonces, the held records) and the index itself.

A `Prepared` record is either *ready* (a valid entry with a well-formed signature: the worker runs the gate
on its statement and upserts it) or not (a tombstone, a record that does not decode or check, an unsigned
one, one with no broker time): the worker then takes it the long way, exactly as if it had read it itself,
so every verdict, counter and held record is the same whichever process read the record
(tests/unit/worker/test_preparing.py proves it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from streams import codecs
from streams.domain.exceptions import InvalidInput
from streams.domain.identity.signatures import Signature
from streams.domain.matching.watchlist import WatchlistEntry, check_entry, entry_time
from streams.domain.timebounds import TimeBounds
from streams.worker.watchlist.signed_entries import Statement, entry_statement


class ReadyEntry(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """A checked entry (times as written: the worker's `entry_time` makes one object of each) and, when
    signatures are required, its statement."""

    entry_id: str
    plate: str
    plate_normalised: str
    category: str
    priority: int
    reason: str
    source_agency: str
    added_by: str
    valid_from: str
    valid_until: str | None
    covert: bool
    incident_id: str | None
    instructions: str | None
    signer: str | None = None
    signed_at: datetime | None = None
    signed_at_text: str = ""
    nonce: str = ""
    ed25519: bytes = b""
    signed: bytes = b""
    action: str = ""

    def statement(self) -> Statement:
        signature = None
        if self.signer is not None and self.signed_at is not None:
            signature = Signature(self.signer, self.signed_at, self.signed_at_text, self.nonce, self.ed25519)
        return Statement(signature, self.signed, self.action)

    def entry(self, listed_at: datetime | None, signer: str | None, proof: bytes | None) -> WatchlistEntry:
        return WatchlistEntry(
            entry_id=self.entry_id,
            plate=self.plate,
            plate_normalised=self.plate_normalised,
            category=self.category,
            priority=self.priority,
            reason=self.reason,
            source_agency=self.source_agency,
            added_by=self.added_by,
            valid_from=entry_time(self.valid_from, "valid_from"),
            valid_until=None if self.valid_until is None else entry_time(self.valid_until, "valid_until"),
            covert=self.covert,
            incident_id=self.incident_id,
            instructions=self.instructions,
            listed_at=listed_at,
            signer=signer,
            proof=proof,
        )


class Prepared(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """One record of `watchlist.entries` as read (headers only when it is not ready: an entry's signature
    is in its value) and, when it is one, its ready entry."""

    timestamp: int | None
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    ready: ReadyEntry | None


class Chunk(msgspec.Struct, array_like=True, frozen=True):
    """The records of one block of offsets of one partition, in offset order (streams/worker/watchlist/
    loader.py says which helper sends which block). `done`: the helper's last frame, with no records."""

    partition: int
    block: int
    records: list[Prepared]
    done: bool = False


def prepare(
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    timestamp: int | None,
    *,
    signed: bool,
    bounds: TimeBounds,
    max_bytes: int,
) -> Prepared:
    """A record as a helper sends it: ready when it is a valid entry (signed, when `signed`)."""
    ready = None
    if value is not None:
        try:
            ready = _ready(key, value, timestamp, signed=signed, bounds=bounds, max_bytes=max_bytes)
        except InvalidInput:  # Refused included: the long way gives such a record its verdict
            ready = None
    return Prepared(timestamp, key, value, [] if ready is not None else list(headers), ready)


def _ready(
    key: bytes | None,
    value: bytes,
    timestamp: int | None,
    *,
    signed: bool,
    bounds: TimeBounds,
    max_bytes: int,
) -> ReadyEntry | None:
    listed_at = codecs.broker_time(timestamp)
    if signed and listed_at is None:
        return None
    decoded = codecs.decode_entry(value, max_bytes=max_bytes)
    entry = check_entry(codecs.decode_key(key), decoded, listed_at=listed_at, bounds=bounds)
    fields = (
        entry.entry_id,
        entry.plate,
        entry.plate_normalised,
        entry.category,
        entry.priority,
        entry.reason,
        entry.source_agency,
        entry.added_by,
        decoded.valid_from,
        decoded.valid_until,
        entry.covert,
        entry.incident_id,
        entry.instructions,
    )
    if not signed:
        return ReadyEntry(*fields)
    statement = entry_statement(key, value, max_bytes=max_bytes, decoded=decoded)
    signature = statement.signature
    if signature is None:
        return None  # refused as unsigned, the long way
    return ReadyEntry(
        *fields,
        signer=signature.signer,
        signed_at=signature.signed_at,
        signed_at_text=signature.signed_at_text,
        nonce=signature.nonce,
        ed25519=signature.ed25519,
        signed=statement.signed,
        action=statement.action,
    )
