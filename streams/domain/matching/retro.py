"""Retro-matching: a new watchlist entry is checked against the hits of the last hours.

When a plate is listed (a call names a getaway car, another city sends a lookout), where that vehicle was
seen before the listing is the first thing investigators ask. `RetroMatcher` is fed past hits in any order
and gives one alert per past sighting (reads of the listed vehicle at one site within the dedup window are
one sighting, with their count), kind `retro_match`, so operators tell them from live matches.

Only sightings from before an entry's `valid_from` count (later ones are, or will be, matched live, and must
not be alerted twice); an entry that has already expired is not retro-matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from streams.domain.matching.alerts import Alert, MatchPolicy, Ref, alert_id_for, match_hit
from streams.domain.matching.dedup import AlertGrouper
from streams.domain.matching.hits import Hit
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
                # Listed now, but looked for since `since`: widen the window backwards for this scan only.
                self.index.upsert(replace(entry, valid_from=min(entry.valid_from, since)))
                self.listed_at[entry.entry_id] = entry.valid_from
        self._matches: list[Alert] = []
        self.window = window
        self.hits_seen = 0

    def __bool__(self) -> bool:
        """False when there is nothing to look for (every entry expired)."""
        return len(self.index) > 0

    def feed(self, hit: Hit, ref: Ref) -> None:
        """Look at one past hit."""
        self.hits_seen += 1
        if hit.event_time < self.since:
            return
        for alert in match_hit(hit, self.index, now=self.now, hit_ref=ref, policy=self.policy):
            assert alert.match is not None  # noqa: S101 - watchlist alerts carry their match
            if hit.event_time >= self.listed_at[alert.match.entry_id]:
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
