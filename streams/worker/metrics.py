"""Prometheus metrics of one citygate process, on a registry of its own (so tests can build many apps).

Labels are bounded: topics, outcomes, reason codes, categories, kinds. Never a plate or a checkpoint id.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Hit → alert latency spans a camera gateway's buffering too, so the buckets run from 5 ms to 2 min.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter(
            "citygate_events",
            "Input messages handled, by source topic and outcome.",
            ["source", "outcome"],
            registry=r,
        )
        self.deadletters = Counter(
            "citygate_deadletters",
            "Input messages sent to the dead-letter topic, by source and reason.",
            ["source", "reason"],
            registry=r,
        )
        self.matches = Counter(
            "citygate_watchlist_matches",
            "Hits that matched a watchlist entry, by category and match type.",
            ["category", "match_type"],
            registry=r,
        )
        self.alerts = Counter(
            "citygate_alerts", "Alerts emitted, by kind and priority.", ["kind", "priority"], registry=r
        )
        self.hit_to_alert = Histogram(
            "citygate_hit_to_alert_seconds",
            "From a hit's event time to its alert being handed to Kafka.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.hit_to_alert_broker = Histogram(
            "citygate_hit_to_alert_broker_seconds",
            "From a hit's broker timestamp to its alert being handed to Kafka (citygate's own share).",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.watchlist_entries = Gauge(
            "citygate_watchlist_entries",
            "Entries in this worker's watchlist replica, by category.",
            ["category"],
            registry=r,
        )
        self.watchlist_refused = Counter(
            "citygate_watchlist_refused",
            "Watchlist records this worker's replica did not apply, by why: unsigned_or_refused (a check "
            "of who stands behind it failed on arrival), held (its signer is not registered yet) and "
            "forged (its signature did not hold when it first matched a hit: dropped, no alert).",
            ["reason"],
            registry=r,
        )
        self.replica_ready = Gauge(
            "citygate_watchlist_replica_ready",
            "1 once the watchlist replica has caught up with the end offsets seen at start.",
            registry=r,
        )

        self.incidents_open = Gauge(
            "citygate_incidents_open", "Open incidents, by priority (command side).", ["priority"], registry=r
        )
        self.lockdowns_active = Gauge(
            "citygate_lockdowns_active", "Active lockdowns that keep each ring closed.", ["ring"], registry=r
        )
        self.points_required = Gauge(
            "citygate_points_required", "Manned points active lockdowns need, by ring.", ["ring"], registry=r
        )
        self.points_staffed = Gauge(
            "citygate_points_staffed",
            "Manned points of active lockdowns staffed, by ring.",
            ["ring"],
            registry=r,
        )
        self.time_to_seal = Histogram(
            "citygate_time_to_seal_seconds",
            "From a lockdown raised to a ring sealed.",
            ["ring"],
            buckets=(60, 120, 180, 300, 420, 600, 900, 1200, 1800, 2700, 3600),
            registry=r,
        )
        # Response accounting (streams/domain/forces/accounting.py): a call received → the first unit sent,
        # and → the first unit on scene, by the incident's priority.
        response_buckets = (60, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 3600)
        self.dispatch_delay = Histogram(
            "citygate_dispatch_delay_seconds",
            "From an incident received to its first unit dispatched, by priority.",
            ["priority"],
            buckets=response_buckets,
            registry=r,
        )
        self.response_time = Histogram(
            "citygate_response_seconds",
            "From an incident received to its first dispatched unit on scene, by priority.",
            ["priority"],
            buckets=response_buckets,
            registry=r,
        )
        self.units = Gauge(
            "citygate_units", "Units the command side holds a state of, by status.", ["status"], registry=r
        )
        self.units_stale = Gauge(
            "citygate_units_stale",
            "Units whose last reported position is stale (over 10 min old).",
            registry=r,
        )
        self.lockdown_events = Counter(
            "citygate_lockdown_events", "Lockdown lifecycle events, by type.", ["type"], registry=r
        )

        self._create_known_series()

    def _create_known_series(self) -> None:
        """Create every known label combination at 0 now: Prometheus's rate() cannot see the first event of a
        series that appears only when it is first incremented, and panels would say "No data"."""
        from streams import topics
        from streams.domain.exceptions import REASON_CODES
        from streams.domain.geography.topology import RING_ORDER

        for source in topics.WORKER_INPUTS:
            for outcome in ("valid", "deadletter"):
                self.events.labels(source, outcome)
            for code in REASON_CODES:
                self.deadletters.labels(source, code)
        for ring in RING_ORDER:
            for gauge in (self.lockdowns_active, self.points_required, self.points_staffed):
                gauge.labels(ring)
            self.time_to_seal.labels(ring)
        for priority in ("1", "2", "3"):
            self.incidents_open.labels(priority)
            self.dispatch_delay.labels(priority)
            self.response_time.labels(priority)
        from streams.domain.forces.board import UNIT_STATUSES

        for status in UNIT_STATUSES:
            self.units.labels(status)
        for kind in ("raised", "point_staffed", "ring_sealed", "escalated", "lifted"):
            self.lockdown_events.labels(kind)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
