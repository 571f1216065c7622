"""The per-hit work of citygate's `match_hits` agent without Faust: what the baselines run per message.

Why a copy of `streams.worker.sensor.matcher.HitMatcher` and not the class itself: that one takes
Prometheus metrics and the worker's pipeline types. This one calls the same functions in the same order
(`codecs.parse_hit` on the raw bytes, i.e. typed decoding and the domain's checks, with the record's broker
time → match_hit against a WatchlistIndex → AlertGrouper → encode), with the worker's default settings, so a
baseline differs from citygate only in the machinery around it. Imports nothing but citygate's domain and
codecs (orjson, msgspec), so it also runs in a venv that has only Quix Streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streams import codecs, topics
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.alerts import Alert, Ref, match_hit
from streams.domain.matching.watchlist import WatchlistIndex
from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class Emitted:
    """One alert record to produce."""

    restricted: bool
    key: bytes
    value: bytes


class Matcher:
    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.index = WatchlistIndex()
        self.max_bytes = settings.max_message_bytes
        self.limits = settings.hit_limits()
        self.policy = settings.match_policy()
        self.grouper = settings.alert_grouper()
        self.invalid = 0
        self.skipped_entries = 0

    def load(self, key: bytes | None, value: bytes | None, timestamp_ms: int | None = None) -> None:
        """Apply one watchlist.entries record, as citygate's replica does (its broker time is the
        listing time)."""
        listed_at = codecs.broker_time(timestamp_ms)
        if not codecs.apply_watchlist_record(
            self.index, key, value, max_bytes=self.max_bytes, listed_at=listed_at
        ):
            self.skipped_entries += 1

    def handle(
        self,
        value: bytes | None,
        partition: int,
        offset: int,
        now: datetime,
        timestamp_ms: int | None = None,
    ) -> list[Emitted]:
        """One hit → the alerts to send now (usually none). `timestamp_ms` is the record's broker time (the
        hit's arrival). Invalid input is counted, not dead-lettered: the workload has none."""
        try:
            hit = codecs.parse_hit(
                value,
                max_bytes=self.max_bytes,
                now=now,
                limits=self.limits,
                arrived_at=codecs.broker_time(timestamp_ms),
            )
        except InvalidInput:
            self.invalid += 1
            return []
        ref = Ref(topic=topics.HITS, id=hit.hit_id, partition=partition, offset=offset)
        alerts = match_hit(hit, self.index, now=now, hit_ref=ref, policy=self.policy)
        if not alerts:
            return []
        out = []
        for alert in alerts:
            for emitted in self.grouper.observe(alert, now=now):
                out.append(self.encode(emitted))
        return out

    def flush(self, now: datetime) -> list[Emitted]:
        """Dedup updates that have come due (citygate does this on a 1 s timer)."""
        return [self.encode(alert) for alert in self.grouper.flush(now=now)]

    @staticmethod
    def encode(alert: Alert) -> Emitted:
        return Emitted(alert.restricted, alert.alert_id.encode(), codecs.encode(alert.to_message()))
