"""Retro-matching: a new watchlist entry is checked against the hits of the last hours.

When a plate is listed (a call names a getaway car, another city sends a lookout), where that vehicle was
seen before the listing is the first thing investigators ask. `RetroMatcher` is fed past hits in any order
and gives one alert per past sighting (reads of the listed vehicle at one site within the dedup window are
one sighting, with their count), kind `retro_match`, so operators tell them from live matches.

Which hits are whose: live matching answers for the hits that reached Kafka at least `listing_grace` after
the entry was listed (`MatchPolicy.answers_live`), the retro-match for every earlier one, whatever its event
time, so a hit held back by a slow camera link or an outage backlog is matched by one of them, exactly
once. Either way a sighting counts only inside the entry's validity window (`valid_from` inclusive,
`valid_until` exclusive, by event time) and, for the retro-match, within the horizon (`since`). An entry
that has already expired is not retro-matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from streams.domain.matching.alerts import Alert, MatchPolicy, Ref, alert_id_for, match_hit
from streams.domain.matching.dedup import AlertGrouper
from streams.domain.matching.equivalence import equivalence_key
from streams.domain.matching.hits import Hit
from streams.domain.matching.plates import read_key
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex

RETRO_ACTIONS = ("review_past_sightings", "notify_source_agency")


class RetroMatcher:
    def __init__(
        self,
        entries: Iterable[WatchlistEntry],
        *,
        since: datetime,
        now: datetime,
        policy: MatchPolicy = MatchPolicy(),  # noqa: B008
        window: timedelta = timedelta(seconds=60),
    ) -> None:
        self.since = since
        self.now = now
        self.policy = policy
        self.index = WatchlistIndex()
        self.listed_at: dict[str, datetime] = {}
        for entry in entries:
            if not entry.has_expired(now):
                # Without its listing time the index would leave these hits to live matching.
                self.index.upsert(replace(entry, listed_at=None))
                self.listed_at[entry.entry_id] = now if entry.listed_at is None else entry.listed_at
        # The equivalence keys of the plates looked for: a hit none of whose readings has one cannot match.
        self.keys = frozenset(equivalence_key(e.plate_normalised) for e in self.index)
        self._matches: list[Alert] = []
        self.window = window
        self.hits_seen = 0

    def __bool__(self) -> bool:
        """False when there is nothing to look for (every entry expired)."""
        return len(self.index) > 0

    def could_match(self, readings: Iterable[str]) -> bool:
        """Whether a hit read as any of `readings` (as sent, not normalised) shares a bucket with an entry
        looked for: a scan decodes and checks in full only the hits for which this is true."""
        keys = self.keys
        return any(read_key(text) in keys for text in readings)

    def answers_for(self, entry_id: str, hit: Hit) -> bool:
        """Whether this retro-match (not live matching) answers for `hit` against the entry."""
        listed = self.listed_at[entry_id]
        if hit.arrived_s is None:  # no broker time known: by event time
            return hit.event_time < listed
        return hit.arrived_s < listed.timestamp() + self.policy.listing_grace.total_seconds()

    def feed(self, hit: Hit, ref: Ref) -> None:
        """Look at one past hit."""
        self.hits_seen += 1
        if hit.event_time < self.since:
            return
        for alert in match_hit(hit, self.index, now=self.now, hit_ref=ref, policy=self.policy):
            assert alert.match is not None  # noqa: S101 - watchlist alerts carry their match
            if not self.answers_for(alert.match.entry_id, hit):
                continue  # a live match's business
            self._matches.append(
                replace(
                    alert,
                    kind="retro_match",
                    alert_id=alert_id_for("retro_match", alert.match.entry_id, hit.hit_id),
                    actions=RETRO_ACTIONS + alert.actions,
                    summary_zh="回溯比对：" + alert.summary_zh,
                    summary_en="Retro-match (seen before listing): " + alert.summary_en,
                )
            )

    def finish(self) -> list[Alert]:
        """One alert per past sighting, oldest first."""
        grouper = AlertGrouper(window=self.window, update_every=timedelta(0), max_groups=1_000_000)
        latest: dict[str, Alert] = {}
        for alert in sorted(self._matches, key=lambda a: (a.event_time, a.alert_id)):
            for emitted in grouper.observe(alert, now=alert.event_time):
                latest[emitted.alert_id] = emitted
        for emitted in grouper.flush(now=self.now + self.window * 2):
            latest[emitted.alert_id] = emitted
        # A sighting is new to operators whatever the grouping did internally.
        return sorted(
            (replace(a, state="new", created_at=self.now) for a in latest.values()),
            key=lambda a: (a.event_time, a.alert_id),
        )
