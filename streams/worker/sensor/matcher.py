"""The sensor side: match every ANPR hit against the in-memory watchlist replica.

Stateless per hit, so any number of workers can share `anpr.hits` partitions. ~99.9% of hits match
nothing and produce nothing; only matches are encoded and sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from streams import codecs, topics
from streams.domain.matching.alerts import Alert, Ref, alerts_for, find_matches
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex
from streams.settings import Settings
from streams.worker.health import Sighting
from streams.worker.metrics import Metrics
from streams.worker.pipeline import InputMessage, Outgoing


class HitMatcher:
    """Handles one hit message: decode → parse → look up → dedup → alerts to send."""

    def __init__(
        self,
        settings: Settings,
        index: WatchlistIndex,
        metrics: Metrics,
        ring_of: dict[str, str] | None = None,
        confirm: Callable[[WatchlistEntry], bool] | None = None,
    ) -> None:
        """`confirm` says whether a matched entry may alert (its signature holds: the replica's
        `confirm`); None when signatures are not checked."""
        self.confirm = confirm
        # Checkpoint → the ring whose boundary it guards, so an alert says where on the rings it happened.
        self.ring_of = ring_of or {}
        self.index = index
        self.metrics = metrics
        self.max_bytes = settings.max_message_bytes
        self.limits = settings.hit_limits()
        self.policy = settings.match_policy()
        self.grouper = settings.alert_grouper()
        self.sightings: list[Sighting] = []  # (checkpoint, event time, partition) for checkpoint health

    def __call__(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        stamp = message.timestamp  # ms
        hit = codecs.parse_hit(
            message.value,
            max_bytes=self.max_bytes,
            now=now,
            limits=self.limits,
            arrived_s=None if stamp is None or stamp < 0 else stamp / 1000,
            key=codecs.decode_key(message.key),
        )
        self.sightings.append((hit.checkpoint_id, hit.event_time, message.partition))
        matches = find_matches(hit, self.index, now=now, policy=self.policy)
        if not matches:
            return ()  # nearly every hit
        if self.confirm is not None:
            matches = [match for match in matches if self.confirm(match[0])]
            if not matches:
                return ()
        ref = Ref(topic=topics.HITS, id=hit.hit_id, partition=message.partition, offset=message.offset)
        alerts = alerts_for(hit, matches, now=now, hit_ref=ref)
        outgoing = []
        for alert in alerts:
            assert alert.match is not None  # noqa: S101 - watchlist alerts always carry their match
            self.metrics.matches.labels(alert.match.category, alert.match.match_type).inc()
            for emitted in self.grouper.observe(alert, now=now):
                if emitted.state == "new":
                    self.metrics.hit_to_alert.observe(max(0.0, (now - hit.event_time).total_seconds()))
                    if stamp is not None and stamp > 0:
                        broker_delay = now.timestamp() - stamp / 1000
                        self.metrics.hit_to_alert_broker.observe(max(0.0, broker_delay))
                outgoing.append(self.encode(emitted))
        return outgoing

    def take_sightings(self) -> list[Sighting]:
        """The batch's (checkpoint, event time, partition) triples, handed over once."""
        taken, self.sightings = self.sightings, []
        return taken

    def flush(self, now: datetime) -> list[Outgoing]:
        """Dedup updates that have come due (called on a timer)."""
        return [self.encode(alert) for alert in self.grouper.flush(now=now)]

    def encode(self, alert: Alert, *, count_match: bool = False) -> Outgoing:
        """The record of an alert (to the restricted topic for a covert entry); `count_match` also counts
        it as a match (the retro-match's: live matches are counted where they are found)."""
        if count_match and alert.match is not None:
            self.metrics.matches.labels(alert.match.category, alert.match.match_type).inc()
        if alert.ring is None and alert.checkpoint_id in self.ring_of:
            alert = replace(alert, ring=self.ring_of[alert.checkpoint_id])
        self.metrics.alerts.labels(alert.kind, str(alert.priority)).inc()
        # Covert entries' hits go only to the restricted topic, never to the ordinary alert stream.
        topic = topics.ALERTS_RESTRICTED if alert.restricted else topics.ALERTS
        return Outgoing(topic, alert.alert_id.encode(), codecs.encode(alert.to_message()))
