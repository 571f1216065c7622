"""Scenario w: one `citygate web` process under the desk's load (issue 20.5).

Why: a ring-control centre's map shows every one of the 3,160 checkpoints, takes alerts at the design peak
of about 1,000 a minute, and is open on about fifty desks at once; all of it is one server process fed by
one consumer. So this scenario starts the console as deployed (its own process, the synthetic Yangzhou
topology), logs in `SESSIONS` operators with their own locked keys, each holding the event stream open
as a page does, and produces alerts onto `alerts` at `RATE_PER_MIN` for the run. It reports what a desk
would feel and what the server pays: the time from an alert reaching Kafka to each session receiving it
(p50, p99, max over every alert × session), whether every session got every alert, the server's CPU
(cores used) and resident set, and the size and fetch time of the map (checkpoints included) and of the
snapshot a page gets when it connects with a full alert list. The harness's clients run on the same two
cores as the server and the broker, so the latencies are an upper bound. Beside them, when Debian's
chromium and its driver are installed, one real headless browser is logged in too, and what its page
spent drawing is reported: the map with every checkpoint once, and each redraw after a change.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer

from bench.cluster import BenchError, now_iso, scenario_settings, settings_env, setup_topics, teardown
from bench.procs import Child, free_port, memory_mb
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import load
from streams.signing import SigningKey
from streams.topics import ALERTS
from streams.web.keys import write_locked

SESSIONS = 50
RATE_PER_MIN = 1000.0
PASSPHRASE = "bench web console passphrase"  # noqa: S105 - the bench's throwaway keys
READY_S = 90.0
EXAMPLE = Path(__file__).parents[1] / "schemas" / "examples" / "alerts" / "valid" / "maximal.json"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@dataclass
class WebScale:
    sessions: int
    alerts: int
    rate_per_min: float
    seconds: float
    checkpoints: int
    deliveries: int  # (alert, session) pairs received
    expected_deliveries: int
    latency_ms: dict[str, float]  # Kafka → each session's event stream: p50, p90, p99, max
    server_cpu_s: float
    server_cores: float  # CPU seconds per second of the run
    server_rss_mb: float
    server_peak_rss_mb: float
    map_bytes: int
    map_fetch_ms: float
    snapshot_bytes: int
    snapshot_ms: float  # a page connecting after the run: its first event, the snapshot
    login_ms_median: float
    browser: dict[str, Any]  # the real page's drawing times, or why it was not measured
    loadavg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _alerts(count: int, checkpoints: list[str], seed: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` live alerts (the schema's own maximal example, re-identified) at random checkpoints."""
    rng = random.Random(seed)
    base = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    made = []
    for n in range(count):
        alert_id = f"al-{n:024x}"
        plate = f"苏{rng.choice('ABCDEFGHJK')}{rng.randint(10000, 99999)}"
        made.append(
            (
                alert_id,
                {
                    **base,
                    "alert_id": alert_id,
                    "plate": plate,
                    "checkpoint_id": rng.choice(checkpoints),
                    "priority": rng.choice((1, 2, 2, 3)),
                    "state": "new",
                },
            )
        )
    return made


async def _login(url: str, operator_id: str) -> tuple[aiohttp.ClientSession, float]:
    # A snapshot is one SSE line of a megabyte or more (a full alert list): room for it in the reader.
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), read_bufsize=2**24)
    started = time.monotonic()
    async with session.post(
        f"{url}/login", data={"operator_id": operator_id, "passphrase": PASSPHRASE}, allow_redirects=False
    ) as response:
        if response.status != 303 or response.headers.get("Location") != "/":
            raise BenchError(f"login of {operator_id} answered {response.status} {response.headers}")
    return session, time.monotonic() - started


async def _follow(
    session: aiohttp.ClientSession, url: str, received: dict[str, float], connected: asyncio.Event
) -> None:
    """Read one page's event stream: the receive time of each alert change (first time only)."""
    async with session.get(f"{url}/events", timeout=aiohttp.ClientTimeout(total=None)) as response:
        if response.status != 200:
            raise BenchError(f"/events answered {response.status}")
        name = None
        async for raw in response.content:
            line = raw.rstrip(b"\n")
            if line.startswith(b"event: "):
                name = line[7:]
                continue
            if not line.startswith(b"data: ") or name is None:
                continue
            if name == b"snapshot":
                connected.set()
            elif name == b"change":
                change = orjson.loads(line[6:])
                if change["kind"] == "alert":
                    received.setdefault(change["data"]["alert_id"], time.monotonic())
            name = None


async def _snapshot(url: str, operator_id: str) -> tuple[int, float]:
    session, _ = await _login(url, operator_id)
    try:
        started = time.monotonic()
        async with session.get(f"{url}/events", timeout=aiohttp.ClientTimeout(total=60)) as response:
            name = None
            async for raw in response.content:
                line = raw.rstrip(b"\n")
                if line.startswith(b"event: "):
                    name = line[7:]
                elif line.startswith(b"data: ") and name == b"snapshot":
                    return len(line) - 6, time.monotonic() - started
        raise BenchError("the event stream ended before its snapshot")
    finally:
        await session.close()


async def _drive(
    url: str, bootstrap: str, topic: str, alerts: list[tuple[str, dict[str, Any]]], rate_per_min: float
) -> tuple[list[dict[str, float]], dict[str, float], list[float], float, int, float]:
    logins = [await _login(url, f"op-{n:03d}") for n in range(SESSIONS)]
    received: list[dict[str, float]] = [{} for _ in logins]
    connected = [asyncio.Event() for _ in logins]
    followers = [
        asyncio.create_task(_follow(session, url, got, ready))
        for (session, _), got, ready in zip(logins, received, connected, strict=True)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in connected)), timeout=60)
        started = time.monotonic()
        async with logins[0][0].get(f"{url}/map.json") as response:
            map_body = await response.read()
        map_ms = (time.monotonic() - started) * 1000
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
        await producer.start()
        sent: dict[str, float] = {}
        interval = 60.0 / rate_per_min
        began = time.monotonic()
        try:
            for n, (alert_id, value) in enumerate(alerts):
                delay = began + n * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                value = {**value, "created_at": now_iso(), "event_time": now_iso()}
                await producer.send_and_wait(topic, orjson.dumps(value), key=alert_id.encode())
                sent[alert_id] = time.monotonic()  # acknowledged: in Kafka from here on
        finally:
            await producer.stop()
        seconds = time.monotonic() - began
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and sum(len(r) for r in received) < len(alerts) * SESSIONS:
            await asyncio.sleep(0.2)
        return received, sent, [ms for _, ms in logins], seconds, len(map_body), map_ms
    finally:
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
        for session, _ in logins:
            await session.close()


class Browser:
    """One headless chromium logged in to the console (selenium), or the reason there is none."""

    def __init__(self, url: str, operator_id: str) -> None:
        self.driver: Any = None
        self.why_not = ""
        if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
            self.why_not = "not measured: chromium and chromium-driver are not installed"
            return
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
            from selenium.webdriver.common.by import By
        except ImportError:
            self.why_not = "not measured: selenium is not installed (pip install -e '.[dev]')"
            return
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--window-size=1600,1000",
        ):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self.driver.get(f"{url}/login")
        self.driver.find_element(By.NAME, "operator_id").send_keys(operator_id)
        self.driver.find_element(By.NAME, "passphrase").send_keys(PASSPHRASE)
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        deadline = time.monotonic() + 60
        while not self._script("document.getElementById('connection').dataset.state === 'live'"):
            if time.monotonic() > deadline:
                raise BenchError("the browser's page did not go live within 60 s")
            time.sleep(0.2)

    def _script(self, expression: str) -> Any:
        return self.driver.execute_script(f"try {{ return {expression}; }} catch (e) {{ return null; }}")

    def figures(self) -> dict[str, Any]:
        if self.driver is None:
            return {"measured": False, "why_not": self.why_not}
        timings = self._script("window.citygateTimings") or {}
        return {
            "measured": True,
            "map_draw_ms": round(float(timings.get("map_ms") or 0.0), 1),
            "redraws": len(timings.get("redraw_ms") or []),
            "redraw_ms": _percentiles([float(v) for v in timings.get("redraw_ms") or []]),
            "alerts_listed": self._script("document.querySelectorAll('#alerts li').length"),
        }

    def close(self) -> None:
        if self.driver is not None:
            self.driver.quit()


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1], 1)}


def run(ctx: Any, seconds: float) -> WebScale:
    """Scenario w: `seconds` of alerts at RATE_PER_MIN to SESSIONS logged-in event streams."""
    settings = scenario_settings(ctx.bootstrap, ctx.run_id, "w", str(ctx.workdir / "w-data"))
    start_load = os.getloadavg()
    keys = ctx.workdir / "w-webkeys"
    keys.mkdir(parents=True, exist_ok=True)
    print(f"[w] locking {SESSIONS} operators' keys (scrypt)", flush=True)
    for n in range(SESSIONS + 1):  # and one for the real browser
        write_locked(SigningKey.generate(f"op-{n:03d}"), PASSPHRASE, keys / f"op-{n:03d}.webkey")
    topology = load(generate_topology(settings.topology_seed))  # what the console draws
    checkpoints = sorted(p.id for p in topology.points.values() if p.kind == "electronic_checkpoint")
    count = max(1, int(seconds * RATE_PER_MIN / 60))
    alerts = _alerts(count, checkpoints, ctx.seed)
    console: Child | None = None
    try:
        setup_topics(settings)
        port = free_port()
        env = {
            **os.environ,
            **settings_env(settings),
            "CITYGATE_CONSOLE_WEB_PORT": str(port),
            "CITYGATE_CONSOLE_WEB_KEYS_DIR": str(keys),
            "CITYGATE_LOG_LEVEL": "warning",
        }
        console = Child.spawn("web", [sys.executable, "-m", "streams.cli", "web"], env, ctx.workdir)
        url = f"http://127.0.0.1:{port}"
        _wait_ready(console, url)
        cpu_before = console.cpu_seconds()
        browser = Browser(url, f"op-{SESSIONS:03d}")
        try:
            print(f"[w] {SESSIONS} sessions, {count:,} alerts at {RATE_PER_MIN:,.0f}/min", flush=True)
            received, sent, logins, run_s, map_bytes, map_ms = asyncio.run(
                _drive(url, settings.kafka_bootstrap, settings.topic(ALERTS), alerts, RATE_PER_MIN)
            )
            cpu = console.cpu_seconds() - cpu_before
            rss, hwm = memory_mb(console.pid)
            page = browser.figures()
        finally:
            browser.close()
        snapshot_bytes, snapshot_s = asyncio.run(_snapshot(url, "op-000"))
    finally:
        if console is not None:
            console.stop()
        teardown(settings)
    latencies = [
        (got[alert_id] - at) * 1000 for got in received for alert_id, at in sent.items() if alert_id in got
    ]
    deliveries = sum(1 for got in received for alert_id in sent if alert_id in got)
    logins.sort()
    result = WebScale(
        sessions=SESSIONS,
        alerts=len(sent),
        rate_per_min=RATE_PER_MIN,
        seconds=round(run_s, 1),
        checkpoints=len(checkpoints),
        deliveries=deliveries,
        expected_deliveries=len(sent) * SESSIONS,
        latency_ms=_percentiles(latencies),
        server_cpu_s=round(cpu, 2),
        server_cores=round(cpu / run_s, 3) if run_s else 0.0,
        server_rss_mb=round(rss, 1),
        server_peak_rss_mb=round(hwm, 1),
        map_bytes=map_bytes,
        map_fetch_ms=round(map_ms, 1),
        snapshot_bytes=snapshot_bytes,
        snapshot_ms=round(snapshot_s * 1000, 1),
        login_ms_median=round(logins[len(logins) // 2] * 1000, 1),
        browser=page,
        loadavg_start=start_load,
        loadavg_end=os.getloadavg(),
    )
    print(
        f"[w] {deliveries:,}/{result.expected_deliveries:,} deliveries; Kafka → page {result.latency_ms}; "
        f"server {result.server_cores:.2f} cores, RSS {rss:.0f} MB; map {map_bytes / 1024:.0f} KiB "
        f"({len(checkpoints):,} checkpoints) in {map_ms:.0f} ms; snapshot {snapshot_bytes / 1024:.0f} KiB "
        f"in {result.snapshot_ms:.0f} ms; browser {page}",
        flush=True,
    )
    return result


def _wait_ready(console: Child, url: str) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        console.assert_alive()
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise BenchError(f"citygate web not healthy within {READY_S:.0f} s:\n{console.log_tail(40)}")
