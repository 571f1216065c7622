"""Matching a plate read against the watchlists: every hit, every entry, every alert it causes."""

from streams.domain.matching.alerts import Alert, MatchPolicy, Ref, alert_id_for, match_hit
from streams.domain.matching.dedup import AlertGrouper
from streams.domain.matching.equivalence import equivalence_key
from streams.domain.matching.hits import Hit, HitLimits, check_hit
from streams.domain.matching.plates import Plate, PlateFormatError, normalise_plate, parse_plate
from streams.domain.matching.retro import RetroMatcher
from streams.domain.matching.reviews import review_alert
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex, check_entry

__all__ = [
    "Alert",
    "AlertGrouper",
    "Hit",
    "HitLimits",
    "MatchPolicy",
    "Plate",
    "PlateFormatError",
    "Ref",
    "RetroMatcher",
    "WatchlistEntry",
    "WatchlistIndex",
    "alert_id_for",
    "check_entry",
    "check_hit",
    "equivalence_key",
    "match_hit",
    "normalise_plate",
    "parse_plate",
    "review_alert",
]
