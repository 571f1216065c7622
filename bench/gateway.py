"""Scenario g: the HTTP gateway against a direct producer, side by side in one run.

A `citygate gateway` process (as deployed) takes the workload's hits from keep-alive HTTP clients, first
one hit per post (`/v1/hits` with a single JSON object, as a camera posts each read), then NDJSON batches
of `BATCH` (as an agent that buffers). Each post is answered only once the brokers acknowledged it. The
direct producer sends the same hits with the same producer settings (acks=all, idempotent) from this
process. The figure that compares is hits per CPU-second of the process that produced them: the gateway's
CPU (HTTP, JSON, the contract check, producing) against the direct producer's (producing alone); hits/s
are reported too, but the HTTP clients share the machine's cores with the gateway.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer

from bench.cluster import BenchError, now_iso, scenario_settings, settings_env, setup_topics, teardown
from bench.procs import Child, free_port
from bench.workload import stamp
from streams.domain.gateway.cameras import Camera
from streams.tools.gateway_admin import add_key, write_cameras
from streams.topics import HITS

BATCH = 100
CLIENTS = 16  # concurrent keep-alive connections
READY_S = 60.0


@dataclass
class GatewayRun:
    mode: str  # single, batch, direct
    hits: int
    seconds: float
    hits_per_s: float
    cpu_s: float
    hits_per_cpu_s: float
    posts: int


@dataclass
class GatewayBench:
    runs: list[GatewayRun]
    loadavg_start: tuple[float, float, float]
    loadavg_end: tuple[float, float, float]

    def ratio(self, mode: str) -> float | None:
        by = {run.mode: run for run in self.runs}
        if mode not in by or "direct" not in by or not by["direct"].hits_per_cpu_s:
            return None
        return round(by[mode].hits_per_cpu_s / by["direct"].hits_per_cpu_s, 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [asdict(run) for run in self.runs],
            "per_core_ratio_single_to_direct": self.ratio("single"),
            "per_core_ratio_batch_to_direct": self.ratio("batch"),
            "loadavg_start": self.loadavg_start,
            "loadavg_end": self.loadavg_end,
            "clients": CLIENTS,
            "batch": BATCH,
        }


def _posted(hit_value: bytes) -> dict[str, Any]:
    """The workload's hit as a gateway's camera would post it: read now (the prefill holds a placeholder
    time), at a point of the synthetic topology (the workload names YZ-EC-0001…, the layout EC-0001…),
    without gateway_id (the key's holder is stamped)."""
    hit = orjson.loads(stamp(hit_value, now_iso()))
    hit["checkpoint_id"] = str(hit["checkpoint_id"]).removeprefix("YZ-")
    hit.pop("gateway_id", None)
    return hit


async def _post_all(port: int, key: str, bodies: list[bytes], content_type: str) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                while True:
                    async with session.post(
                        f"http://127.0.0.1:{port}/v1/hits", data=body, headers=headers
                    ) as r:
                        if r.status == 200:
                            break
                        if r.status not in (429, 503):
                            raise BenchError(f"gateway answered {r.status}: {(await r.text())[:300]}")
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def _direct(settings: Any, records: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.gateway_linger_ms,  # the gateway's own
    )
    await producer.start()
    try:
        started = time.monotonic()
        futures = [await producer.send(settings.topic(HITS), value, key=key) for key, value in records]
        await asyncio.gather(*futures)
        return time.monotonic() - started
    finally:
        await producer.stop()


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(ctx: Any, hits: int) -> GatewayBench:
    """Scenario g over the first `hits` of the prefill (each mode posts its own copy, new hit ids)."""
    settings = scenario_settings(ctx.bootstrap, ctx.run_id, "g", str(ctx.workdir / "g-data"))
    start_load = os.getloadavg()
    runs: list[GatewayRun] = []
    gateway: Child | None = None
    try:
        setup_topics(settings)
        write_cameras(settings, [Camera("openalpr", "1", "EC-0001", 1, "inbound")])
        _, key = add_key(settings, "bench")
        port = free_port()
        env = {
            **os.environ,
            **settings_env(settings),
            "CITYGATE_GATEWAY_PORT": str(port),
            "CITYGATE_LOG_LEVEL": "warning",
        }
        gateway = Child.spawn("gateway", [sys.executable, "-m", "streams.cli", "gateway"], env, ctx.workdir)
        _wait_ready(gateway, port)
        base = [_posted(value) for _, value in ctx.prefill[:hits]]
        for mode in ("single", "batch"):
            copy = [{**hit, "hit_id": f"{mode}-{hit['hit_id']}"} for hit in base]
            if mode == "single":
                bodies, content_type = [orjson.dumps(hit) for hit in copy], "application/json"
            else:
                chunks = [copy[i : i + BATCH] for i in range(0, len(copy), BATCH)]
                bodies = [b"\n".join(orjson.dumps(h) for h in chunk) for chunk in chunks]
                content_type = "application/x-ndjson"
            cpu_before = gateway.cpu_seconds()
            started = time.monotonic()
            asyncio.run(_post_all(port, key, bodies, content_type))
            seconds = time.monotonic() - started
            cpu = gateway.cpu_seconds() - cpu_before
            runs.append(_figures(mode, len(copy), seconds, cpu, len(bodies)))
            _say(f"gateway, {mode}", runs[-1])
        records = [
            (str(hit["checkpoint_id"]).encode(), orjson.dumps({**hit, "hit_id": f"direct-{hit['hit_id']}"}))
            for hit in base
        ]
        cpu_before = _self_cpu()
        seconds = asyncio.run(_direct(settings, records))
        runs.append(_figures("direct", len(records), seconds, _self_cpu() - cpu_before, 0))
        _say("direct producer", runs[-1])
    finally:
        if gateway is not None:
            gateway.stop()
        teardown(settings)
    return GatewayBench(runs, start_load, os.getloadavg())


def _say(what: str, figures: GatewayRun) -> None:
    rate, per_cpu = figures.hits_per_s, figures.hits_per_cpu_s
    print(f"[g] {what}: {rate:,.0f} hits/s, {per_cpu:,.0f} hits per CPU-second", flush=True)


def _figures(mode: str, hits: int, seconds: float, cpu: float, posts: int) -> GatewayRun:
    return GatewayRun(
        mode,
        hits,
        round(seconds, 2),
        round(hits / seconds, 1) if seconds else 0.0,
        round(cpu, 2),
        round(hits / cpu, 1) if cpu else 0.0,
        posts,
    )


def _wait_ready(gateway: Child, port: int) -> None:
    import urllib.request

    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        gateway.assert_alive()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200 and orjson.loads(response.read())["keys"] >= 1:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise BenchError(f"gateway not ready within {READY_S:.0f} s:\n{gateway.log_tail(40)}")
