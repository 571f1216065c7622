"""A watchlist entry: what the index holds and a match reports (streams/domain/matching/watchlist.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    # Who signed it and what (streams/worker/watchlist/signed_entries.py): the signer's id and the SHA-256
    # digest of the signed statement followed by the 64-byte signature, checked when the entry first
    # matches a hit rather than at load (a million verifications would take minutes). None when unsigned.
    signer: str | None = None
    proof: bytes | None = None

    def is_valid_at(self, moment: datetime) -> bool:
        """True when the entry is in force at `moment` (valid_from inclusive, valid_until exclusive)."""
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)

    def has_expired(self, now: datetime) -> bool:
        return self.valid_until is not None and now >= self.valid_until
