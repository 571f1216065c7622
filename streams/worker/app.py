"""The worker's composition root: builds the Faust app, its services, agents and pages from a `Settings`.

Everything is built from the settings passed in, so a test can build as many apps as it likes and nothing
reads the environment at import time. Handlers (the hits matcher, the watchlist checker, the command side's
router) never see a Faust topic: they return `Outgoing` records by logical topic name, and the one
`TopicSender` built here sends them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP, StreamT, TopicT
from faust.web import Request, Response, View

from streams import topics
from streams.domain.geography.topology import SEALING_KINDS, Topology
from streams.domain.matching.watchlist import WatchlistIndex
from streams.settings import Settings
from streams.signing import verify
from streams.topology_file import load_topology
from streams.worker import kafka_internals
from streams.worker.command_side import AlertBook, CommandRouter, IncidentDesk
from streams.worker.command_side.answers import CommandAnswers
from streams.worker.command_side.signed_inputs import (
    SignedInputs,
    listing_signer,
    registry_root,
    worker_key,
)
from streams.worker.command_side.unit_board import UnitDesk
from streams.worker.credentials import faust_credentials
from streams.worker.faust_internals import Assignment, commit_before_revoking, idempotent_producer
from streams.worker.followers import AlertFollower, CameraStatusFollower
from streams.worker.health import CitygateHealth, health_report
from streams.worker.logs import keep_payloads_out_of_logs, quiet_expected_conditions
from streams.worker.metrics import Metrics
from streams.worker.pipeline import InputMessage, Outgoing, Pipeline, TopicSender
from streams.worker.sensor.consumer import HitsConsumer
from streams.worker.sensor.matcher import HitMatcher
from streams.worker.watchlist.checker import EntryChecker
from streams.worker.watchlist.replica import WatchlistReplica
from streams.worker.watchlist.retro_scan import RetroScanner
from streams.worker.watchlist.signed_entries import SignedEntries


@dataclass
class Citygate:
    """A built app and the parts tests and commands need to reach."""

    app: faust.App
    settings: Settings
    metrics: Metrics
    index: WatchlistIndex
    replica: WatchlistReplica
    topics: dict[str, TopicT]
    health: CitygateHealth
    sensor: HitsConsumer
    handle_hits: Callable[[Sequence[InputMessage]], list[Outgoing]]
    command_side: CommandRouter


def faust_app(settings: Settings) -> faust.App:
    """The Faust app with citygate's delivery settings (at least once, acks from all in-sync replicas); it
    declares no topics."""
    connection = settings.connection()
    return faust.App(
        settings.app_id,
        broker=[f"kafka://{server}" for server in connection.servers],
        broker_credentials=faust_credentials(connection),
        processing_guarantee="at_least_once",
        store="memory://",
        datadir=str(settings.data_dir / settings.app_id),
        topic_replication_factor=settings.replication_factor,
        # Never CreateTopics: `citygate topics create` (an administrator) makes every topic, Faust's own too,
        # and a worker refuses to start while one is missing. On a cluster with ACLs the worker role has no
        # CREATE, and the broker answers a create of an existing topic with an authorization error, which
        # would stop the worker (Faust declares its leader topic and changelogs at every start).
        topic_allow_declare=False,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_request_timeout=settings.producer_timeout_s,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
        broker_commit_interval=settings.commit_interval_s,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        loghandlers=[],
    )


def latest_arrival(events: Sequence[Any]) -> datetime:
    """The latest broker time of a batch of Faust events (now when none has one)."""
    stamps = [event.message.timestamp for event in events if event.message.timestamp]
    return datetime.fromtimestamp(max(stamps), UTC) if stamps else datetime.now(UTC)


def build_app(settings: Settings, topology: Topology | None = None) -> Citygate:
    """The worker's app from its settings; `topology` when the caller has loaded (and so checked) it
    already, else it is loaded here."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    quiet_expected_conditions()
    keep_payloads_out_of_logs()
    kafka_internals.install()
    commit_before_revoking()
    idempotent_producer()
    app = faust_app(settings)
    metrics = Metrics()
    if settings.faust_sensors:
        # Faust's own sensors (messages in/out, commits, rebalances, table ops) on our registry, as `faust_*`.
        app.monitor = PrometheusMonitor(metrics=FaustMetrics.create(metrics.registry, "faust"))
    assignment = Assignment(app)
    index = WatchlistIndex()
    # Who stands behind each watchlist record (issue 15.4): the replica applies and the hits matcher alerts
    # on what its signer may list; the checker dead-letters the rest. None: signatures are not checked.
    entries_signed = (
        SignedEntries(
            registry_root(settings), verify, settings.signature_policy(), max_bytes=settings.max_message_bytes
        )
        if settings.require_signatures
        else None
    )
    sign_listing = listing_signer(worker_key(settings)) if settings.require_signatures else None
    replica = WatchlistReplica(settings, index, metrics, entries_signed, loop=app.loop)
    app.service(replica)  # type: ignore[arg-type]  # Faust accepts instances, though typed for classes

    # Raw bytes both ways: citygate decodes and encodes itself (streams/codecs.py), so nothing Faust-specific
    # (no `__faust` metadata) ever reaches a public topic and undecodable input is dead-lettered, not skipped.
    def topic(*names: str) -> TopicT:
        return app.topic(*(settings.topic(n) for n in names), key_serializer="raw", value_serializer="raw")

    public = {spec.name: topic(spec.name) for spec in topics.public_topics(settings)}
    send = TopicSender(public)
    if topology is None:
        topology = load_topology(settings)
    ring_of = {
        p.id: p.ring for p in topology.points.values() if p.ring is not None and p.kind in SEALING_KINDS
    }
    match_one_hit = HitMatcher(
        settings, index, metrics, ring_of, confirm=None if entries_signed is None else replica.confirm
    )
    check_one_entry = EntryChecker(settings, entries_signed)
    retro = RetroScanner(settings, index)
    app.service(AlertFollower(settings, match_one_hit.grouper, loop=app.loop))  # type: ignore[arg-type]

    # The command side: its topics have one partition each, so one worker holds the alert book, the incidents
    # and the lockdowns (changelog-backed tables; str keys, JSON values: Faust's defaults).
    desk = IncidentDesk(
        settings,
        topology,
        metrics,
        incidents=app.Table(topics.INCIDENTS_TABLE, partitions=topics.TABLE_PARTITIONS),
        lockdowns=app.Table(topics.LOCKDOWNS_TABLE, partitions=topics.TABLE_PARTITIONS),
        lookouts=app.Table(topics.LOOKOUTS_TABLE, partitions=topics.TABLE_PARTITIONS),
        sign_listing=sign_listing,
    )
    book = AlertBook(settings, app.Table(topics.ALERT_BOOK_TABLE, partitions=topics.TABLE_PARTITIONS))
    # Who signed each operator command (issue 15.4): the registry and the nonces seen, as tables too.
    registry_table = app.Table(topics.REGISTRY_TABLE, partitions=topics.TABLE_PARTITIONS)
    nonces_table = app.Table(topics.NONCES_TABLE, partitions=topics.TABLE_PARTITIONS)
    signed = SignedInputs(settings, registry_table, nonces_table) if settings.require_signatures else None
    if signed is None:
        logging.getLogger(__name__).warning(
            "CITYGATE_REQUIRE_SIGNATURES=false: operator commands are taken unsigned and signatures are "
            "not checked (a development broker only)"
        )
    answers = CommandAnswers(settings, app.Table(topics.ANSWERS_TABLE, partitions=topics.TABLE_PARTITIONS))
    units = UnitDesk(
        settings,
        app.Table(topics.UNITS_TABLE, partitions=topics.TABLE_PARTITIONS),
        app.Table(topics.UNIT_REGISTRY_TABLE, partitions=topics.TABLE_PARTITIONS),
        topology,
        metrics,
    )
    command_side = CommandRouter(settings, book, desk, signed, answers, units)
    command_topics = topics.SIGNED_COMMAND_SIDE if signed is not None else topics.COMMAND_SIDE
    pipeline = Pipeline(settings, metrics, send, answers=command_side.answers_by_topic)

    # The sensor side: not a Faust agent but a batched consumer of its own (sensor/consumer.py says why).
    def handle_hits(records: Sequence[InputMessage]) -> list[Outgoing]:
        """Match a batch of hits against the watchlist: the alerts and dead letters to send."""
        outgoing, _ = pipeline.handle_messages(records, match_one_hit)
        health.observe_hits(match_one_hit.take_sightings())
        return outgoing

    async def flush_outputs() -> None:
        await (await app.maybe_start_producer()).flush()

    sensor = HitsConsumer(
        settings,
        handle=handle_hits,
        send=send,
        flush=flush_outputs,
        wait_ready=replica.wait_ready,
        replica_fresh=replica,
        loop=app.loop,
    )
    app.service(sensor)  # type: ignore[arg-type]

    def faust_consumer() -> Any | None:
        # `app.consumer` builds a consumer on first access: look only once Faust has assigned partitions.
        return None if assignment.partitions is None else app.consumer

    health = CitygateHealth(
        faust_consumer,
        settings,
        metrics.registry,
        hits_lags=sensor.ledger.lags,
        hits_partitions=sensor.ledger.partitions,
    )
    app.service(CameraStatusFollower(settings, health.cameras, loop=app.loop))  # type: ignore[arg-type]

    @app.timer(interval=1.0)  # type: ignore[untyped-decorator]
    async def flush_alert_groups() -> None:
        """Send dedup updates that have come due (reads folded into an open alert)."""
        await pipeline.send(match_one_hit.flush(datetime.now(UTC)))

    @app.agent(public[topics.WATCHLIST], name="check_watchlist")
    async def check_watchlist(stream: StreamT[Any]) -> None:
        """Audit every watchlist change and dead-letter invalid ones, once for the whole group; retro-match
        new entries before the batch is acked, so a crash mid-scan repeats the scan (same alert ids)."""
        # Large batches: a bulk import of thousands of entries is retro-matched in one scan, not one per 100.
        async for events in stream.take_events(5000, within=2.0):  # type: ignore[attr-defined]
            if entries_signed is not None:
                # Judge each record by the registry as of its arrival: the replica has read that far.
                await replica.wait_fresh(latest_arrival(events))
            await pipeline.run(events, check_one_entry)
            entries = check_one_entry.take_upserted()
            if entries:
                retro_alerts = await retro.scan_until_done(entries, datetime.now(UTC))
                await pipeline.send([match_one_hit.encode(alert, count_match=True) for alert in retro_alerts])

    @app.agent(topic(*command_topics), name="command_side", concurrency=1)
    async def run_command_side(stream: StreamT[Any]) -> None:
        """Alerts book, operators' decisions, incidents and lockdowns: one event at a time, in order."""
        async for event in stream.events():
            await pipeline.run([event], command_side)

    ticks_partition = TP(settings.topic(topics.TICKS), 0)

    @app.timer(interval=settings.tick_interval_s)  # type: ignore[untyped-decorator]
    async def tick() -> None:
        """The command side's clock: re-plan running lockdowns (escalation, expiry). A worker without the
        command side zeroes its incident and lockdown gauges (the holder republishes them on each tick)."""
        await public[topics.TICKS].send(key=b"tick", value=datetime.now(UTC).isoformat().encode())
        if not app.rebalancing and assignment.holds(ticks_partition) is False:
            desk.clear_gauges()
            units.clear_gauges()

    @app.page("/metrics")
    class MetricsPage(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(metrics.exposition(), content_type="text/plain; version=0.0.4")

    @app.page("/health")
    class HealthPage(View):
        async def get(self, request: Request) -> Response:
            status, body = health_report(
                ready=replica.ready.is_set(),
                entries=len(index),
                fresh_as_of=replica.fresh_as_of,
                # None until the hits consumer has joined, and mid-rebalance
                hits_partitions=sensor.ledger.partitions(),
                now=datetime.now(UTC),
                stale_after_s=settings.health_stale_s,
            )
            return self.json(body, status=status)

    return Citygate(app, settings, metrics, index, replica, public, health, sensor, handle_hits, command_side)
