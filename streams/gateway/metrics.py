"""The gateway's Prometheus metrics, on a registry of its own (`GET /metrics`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "citygate_gateway_requests",
            "HTTP requests by route and answer",
            ["route", "status"],
            registry=self.registry,
        )
        self.hits = Counter(
            "citygate_gateway_hits",
            "Hits by route and outcome: produced (acknowledged by the brokers), duplicate (a retry of one "
            "already acknowledged), skipped (an OpenALPR frame of a camera that sends group records)",
            ["route", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "citygate_gateway_ack_seconds",
            "From a post's records handed to the producer to the brokers' acknowledgement of all of them",
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "citygate_gateway_in_flight_records",
            "Records handed to the producer and not yet acknowledged",
            registry=self.registry,
        )
        self.cameras = Gauge(
            "citygate_gateway_cameras",
            "Cameras by what their agents' last heartbeat to this gateway said (streaming true/false)",
            ["streaming"],
            registry=self.registry,
        )
        self.registered = Gauge(
            "citygate_gateway_registry_entries",
            "Entries of the followed registries: cameras, keys",
            ["kind"],
            registry=self.registry,
        )
