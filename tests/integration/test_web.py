"""`citygate web` on the real broker with a real worker (issue 20, first part): operators log in with their
locked keys; the page's event stream brings a new alert for a listed plate within seconds and the drill's
lockdown with its rings; a non-privileged session never receives a restricted alert, a privileged one does;
nothing is served without a session, and a cross-origin POST is refused. (Headless-browser tests are the
next part.)"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from streams import topics
from streams.signing import SigningKey
from streams.web.keys import write_locked
from tests.integration.conftest import OFFICER, Cluster, free_port, register
from tests.integration.test_drill import drill_call
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka

PASSPHRASE = "correct horse battery staple"
PLAIN = SigningKey.generate("op-8")  # an operator, not cleared for restricted alerts


@dataclass
class Console:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


@pytest.fixture
def console(cluster: Cluster) -> Iterator[Console]:
    keys = cluster.workdir / "webkeys"
    keys.mkdir()
    write_locked(OFFICER, PASSPHRASE, keys / "op-7.webkey")
    write_locked(PLAIN, PASSPHRASE, keys / "op-8.webkey")
    register(cluster, PLAIN, "operator")
    port = free_port()
    log = cluster.workdir / "web.log"
    env = {
        **cluster.env,
        "CITYGATE_CONSOLE_WEB_PORT": str(port),
        "CITYGATE_CONSOLE_WEB_KEYS_DIR": str(keys),
        "CITYGATE_CONSOLE_WEB_PRIVILEGED": "op-7",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "web"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    found = Console(process, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"citygate web exited:\n{found.log_tail()}"
            try:
                with urllib.request.urlopen(f"{found.url}/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            assert time.monotonic() < deadline, f"citygate web not healthy:\n{found.log_tail()}"
            time.sleep(0.25)
        yield found
    finally:
        process.terminate()
        process.wait(timeout=20)


async def login(console: Console, operator_id: str, passphrase: str = PASSPHRASE) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(
        f"{console.url}/login",
        data={"operator_id": operator_id, "passphrase": passphrase},
        allow_redirects=False,
    ) as response:
        assert response.status == 303
        assert response.headers["Location"] == ("/" if passphrase == PASSPHRASE else "/login?failed=1")
    return session


async def events(session: aiohttp.ClientSession, url: str, into: list[tuple[str, Any]]) -> None:
    """Read the event stream into `into` as (event, data) until cancelled."""
    async with session.get(f"{url}/events", timeout=aiohttp.ClientTimeout(total=None)) as response:
        assert response.status == 200
        name = None
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name is not None:
                into.append((name, orjson.loads(line[6:])))
                name = None


async def until(found: list[tuple[str, Any]], test: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(test(name, data) for name, data in found):
        assert time.monotonic() < deadline, f"not seen within {timeout} s: {[n for n, _ in found]}"
        await asyncio.sleep(0.1)


def is_alert(plate: str) -> Any:
    return lambda name, data: name == "change" and data["kind"] == "alert" and data["data"]["plate"] == plate


def test_live_alerts_lockdowns_and_who_sees_restricted_ones(cluster: Cluster, console: Console) -> None:
    cluster.send(topics.WATCHLIST, live_entry("WL-WEB", "苏K12345"), key="WL-WEB")
    cluster.send(
        topics.WATCHLIST,
        live_entry("WL-WEB-COVERT", "苏A9B876", category="wanted", covert=True),
        key="WL-WEB-COVERT",
    )
    cluster.flush()
    cluster.start_worker()
    cluster.wait_past_listing()

    async def scenario() -> None:
        anonymous = aiohttp.ClientSession()
        for path in ("/api/state", "/events", "/map.json"):
            async with anonymous.get(f"{console.url}{path}") as response:
                assert response.status == 401, path
        async with anonymous.get(f"{console.url}/", allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/login"
        foreign = {"Origin": "http://evil.example"}
        async with anonymous.post(
            f"{console.url}/login", data={"operator_id": "op-7", "passphrase": PASSPHRASE}, headers=foreign
        ) as response:
            assert response.status == 403
        await anonymous.close()
        wrong = await login(console, "op-7", "not the passphrase at all")
        assert not [c for c in wrong.cookie_jar if c.key == "citygate_session"]
        await wrong.close()

        privileged, plain = await login(console, "op-7"), await login(console, "op-8")
        async with privileged.get(f"{console.url}/") as response:
            page = await response.text()
            assert response.status == 200 and "citygate" in page
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        async with privileged.get(f"{console.url}/map.json") as response:
            drawn = await response.json()
            assert len(drawn["points"]) >= 3160 and {r["name"] for r in drawn["rings"]} == {
                "core",
                "urban",
                "city",
            }
        seen_privileged: list[tuple[str, Any]] = []
        seen_plain: list[tuple[str, Any]] = []
        streams = [
            asyncio.create_task(events(privileged, console.url, seen_privileged)),
            asyncio.create_task(events(plain, console.url, seen_plain)),
        ]
        await until(seen_privileged, lambda name, _: name == "snapshot")
        await until(seen_plain, lambda name, _: name == "snapshot")
        assert seen_plain[0][1]["operator_id"] == "op-8" and seen_plain[0][1]["privileged"] is False
        assert seen_privileged[0][1]["privileged"] is True

        sent = time.monotonic()
        cluster.send(topics.HITS, live_hit("web-1", "苏K12345", checkpoint_id="YZ-EC-0001"), key="YZ-EC-0001")
        cluster.send(topics.HITS, live_hit("web-2", "苏A9B876", checkpoint_id="YZ-EC-0002"), key="YZ-EC-0002")
        cluster.flush()
        await until(seen_plain, is_alert("苏K12345"))
        assert time.monotonic() - sent < 15  # "within a few seconds", with a worker matching from cold
        await until(seen_privileged, is_alert("苏A9B876"))
        await until(seen_privileged, is_alert("苏K12345"))

        cluster.send(topics.CALLS, drill_call("110-web-1"), key="110-web-1")
        cluster.flush()

        def raised(name: str, data: Any) -> bool:
            return name == "change" and data["kind"] == "lockdown" and data["data"]["status"] == "active"

        await until(seen_plain, raised)
        lockdown = next(d["data"] for n, d in seen_plain if raised(n, d))
        assert set(lockdown["rings"]) >= {"core"} and lockdown["points"]["core"]["required"]

        # The covert plate's alert never reached the plain session, in a change or a snapshot.
        await asyncio.sleep(1)
        assert not any(is_alert("苏A9B876")(n, d) for n, d in seen_plain)
        async with plain.get(f"{console.url}/api/state") as response:
            state = await response.json()
        assert {a["plate"] for a in state["alerts"]} == {"苏K12345"}
        async with privileged.get(f"{console.url}/api/state") as response:
            assert {a["plate"] for a in (await response.json())["alerts"]} == {"苏K12345", "苏A9B876"}

        # Logged out: the session's data is gone with it.
        async with plain.post(f"{console.url}/logout", allow_redirects=False) as response:
            assert response.status == 303
        async with plain.get(f"{console.url}/api/state") as response:
            assert response.status == 401
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        await privileged.close()
        await plain.close()

    try:
        asyncio.run(scenario())
    except AssertionError:
        print(console.log_tail())
        raise
