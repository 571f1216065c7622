"""`citygate gateway`: build the gateway from the settings, serve until SIGTERM or SIGINT, stop cleanly.

On a stop signal the gateway stops accepting connections, lets the posts being handled finish (each waits
at most the ack timeout), waits for records still in flight and closes the producer: a read a camera was
told is taken is on the brokers. It starts without the cluster, answering 503 until it can reach it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl

from aiohttp import web
from aiokafka.errors import KafkaError

from streams.domain.geography.topology import Topology
from streams.gateway.app import Gateway
from streams.gateway.follower import Follower
from streams.gateway.intake import Intake
from streams.gateway.metrics import GatewayMetrics
from streams.gateway.publisher import Publisher
from streams.settings import Settings

log = logging.getLogger(__name__)
CONNECT_RETRY_S = 2.0


def build(settings: Settings, topology: Topology) -> Gateway:
    follower = Follower(settings)
    publisher = Publisher(
        settings, queue_max=settings.gateway_queue_max, ack_timeout_s=settings.gateway_ack_timeout_s
    )
    intake = Intake(settings, frozenset(topology.points), settings.hit_limits())
    return Gateway(intake, follower, publisher, GatewayMetrics())


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.gateway_tls_certfile:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.gateway_tls_certfile, settings.gateway_tls_keyfile)
    return context


async def _connect(gateway: Gateway) -> None:
    while not gateway.publisher.started:
        try:
            await gateway.publisher.start()
        except (KafkaError, OSError) as error:
            log.warning("cannot reach the cluster yet (%s); answering 503 until it can", error)
            await asyncio.sleep(CONNECT_RETRY_S)


async def serve(settings: Settings, topology: Topology, *, stop: asyncio.Event | None = None) -> None:
    gateway = build(settings, topology)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    gateway.follower.start()
    connecting = loop.create_task(_connect(gateway))
    runner = web.AppRunner(
        gateway.app(), access_log=None, shutdown_timeout=settings.gateway_ack_timeout_s + 5
    )
    await runner.setup()
    context = tls_context(settings)
    site = web.TCPSite(runner, settings.gateway_host, settings.gateway_port, ssl_context=context)
    await site.start()
    scheme = "https" if context else "http"
    log.info(
        "gateway listening on %s://%s:%d, producing to %s",
        scheme,
        settings.gateway_host,
        settings.gateway_port,
        settings.connection().describe(),
    )
    try:
        await stop.wait()
    finally:
        log.info("gateway stopping: finishing the posts in hand")
        await runner.cleanup()
        connecting.cancel()
        await asyncio.gather(connecting, return_exceptions=True)
        if gateway.publisher.started:
            await gateway.publisher.stop()
        await gateway.follower.stop()
        log.info("gateway stopped")
