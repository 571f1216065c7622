"""`citygate web`: the operators' web console, an aiohttp server in a process of its own.

Routes: `/login` (GET the form, POST operator id and passphrase: the operator's locked key is unlocked,
streams/web/keys.py), `/logout`, `/` (the console page), `/map.json` (the rings and points to draw),
`/api/state` (everything shown now), `/events` (Server-Sent Events: a snapshot, then every change),
`/health`, and the page's own static files. Everything but the login form, `/health` and the static files
needs a live session (401 for data, a redirect to the form for the page).

Hardening: the session cookie is HttpOnly and SameSite=Strict (and Secure under TLS); a POST must come from
the console's own origin; every answer carries a Content-Security-Policy allowing only the console's own
scripts and styles, no framing and no referrer; five wrong passphrases for one operator id lock it for five
minutes. Restricted alerts reach only sessions of operators in CITYGATE_CONSOLE_WEB_PRIVILEGED.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams import topics
from streams.domain.commands import COMMANDS, MAX_DISPATCHED_UNITS, REASONS
from streams.domain.exceptions import InvalidInput
from streams.domain.geography.topology import RING_ORDER, Ring, Topology
from streams.settings import Settings
from streams.tools.messages import operator_command, signed_command
from streams.web.follower import DeskFollower
from streams.web.keys import LockedKeyError, locked_key_path, unlock
from streams.web.sessions import Session, Sessions
from streams.web.view import Change, DeskView

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COOKIE = "citygate_session"
QUEUE_MAX = 2000  # changes a slow browser may fall behind by before its stream is closed (it reconnects)
KEEPALIVE_S = 15.0
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer a browser's form POST says `Origin: null`.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def map_of(topology: Topology) -> dict[str, Any]:
    """The rings (outermost first, so inner ones draw on top) and every point, compactly, for the page."""

    def outside_in(ring: Ring) -> int:
        return -RING_ORDER.index(ring.name) if ring.name in RING_ORDER else -len(RING_ORDER)

    rings = sorted(topology.rings.values(), key=outside_in)
    return {
        "rings": [{"name": ring.name, "polygon": [list(p) for p in ring.polygon]} for ring in rings],
        "points": [
            [p.id, p.kind, round(p.location[0], 6), round(p.location[1], 6), p.ring, p.name]
            for p in sorted(topology.points.values(), key=lambda p: p.id)
        ],
    }


class WebConsole:
    def __init__(self, settings: Settings, topology: Topology, *, restricted: bool) -> None:
        self.settings = settings
        self.view = DeskView()
        self.sessions = Sessions(
            timedelta(seconds=settings.console_web_session_idle_s),
            timedelta(seconds=settings.console_web_session_max_s),
        )
        self.privileged = settings.console_web_privileged_ids() if restricted else frozenset()
        self.keys_dir = Path(settings.console_web_keys_dir) if settings.console_web_keys_dir else None
        self.follower = DeskFollower(settings, self.view, self._broadcast, restricted=restricted)
        self.map_json = orjson.dumps(map_of(topology))
        self.streams: dict[asyncio.Queue[Change | None], Session] = {}
        self.secure_cookie = bool(settings.console_web_tls_certfile)
        self.producer: AIOKafkaProducer | None = None

    # -------------------------------------------------------------------------------------- lifecycle

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers], client_max_size=16 * 1024)
        app.router.add_get("/login", self._login_form)
        app.router.add_post("/login", self._login)
        app.router.add_post("/logout", self._logout)
        app.router.add_get("/", self._page)
        app.router.add_get("/map.json", self._map)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/events", self._events)
        app.router.add_post("/api/command", self._command)
        app.router.add_get("/health", self._health)
        app.router.add_get("/favicon.ico", self._no_icon)
        app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def _on_startup(self, _app: web.Application) -> None:
        await self.follower.start()
        self.producer = AIOKafkaProducer(
            **self.settings.connection().client_kwargs(),
            acks="all",
            enable_idempotence=True,
            client_id=f"{self.settings.app_id}-web-console",
        )
        await self.producer.start()

    async def _on_cleanup(self, _app: web.Application) -> None:
        for queue in list(self.streams):
            queue.put_nowait(None)
        if self.producer is not None:
            await self.producer.stop()
        await self.follower.stop()

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.settings.console_web_tls_certfile:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.settings.console_web_tls_certfile, self.settings.console_web_tls_keyfile)
        return context

    # -------------------------------------------------------------------------------------- sessions

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "POST" and not self._same_origin(request):
            return web.Response(status=403, text="cross-origin request refused\n")
        response: web.StreamResponse = await handler(request)
        response.headers.update(HEADERS)
        return response

    def _same_origin(self, request: web.Request) -> bool:
        """A browser says where a request comes from (Sec-Fetch-Site, Origin); one from another site is
        refused. A client that says neither is no browser, and a page elsewhere cannot make it send."""
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site is not None:
            return fetch_site == "same-origin"
        origin = request.headers.get("Origin")
        return origin is None or origin == f"{request.scheme}://{request.host}"

    def _session(self, request: web.Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE), datetime.now(UTC))

    async def _login_form(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "login.html")

    async def _login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        operator_id = str(form.get("operator_id", "")).strip()
        passphrase = str(form.get("passphrase", ""))
        now = datetime.now(UTC)
        path = None if self.keys_dir is None else locked_key_path(self.keys_dir, operator_id)
        if self.sessions.locked_out(operator_id, now):
            log.warning("web console: login of %s refused: too many wrong passphrases", operator_id[:64])
            raise web.HTTPSeeOther("/login?locked=1")
        try:
            if path is None or not path.is_file():
                raise LockedKeyError("no such operator")
            text = path.read_text(encoding="utf-8")
            loop = asyncio.get_running_loop()  # scrypt takes ~50 ms: not on the event loop
            key = await loop.run_in_executor(None, unlock, text, operator_id, passphrase)
        except (LockedKeyError, OSError) as refused:
            self.sessions.failed(operator_id, now)
            log.warning("web console: login of %s refused (%s)", operator_id[:64], refused)
            raise web.HTTPSeeOther("/login?failed=1") from None
        session = self.sessions.open(key, key.person_id in self.privileged, now)
        log.info("web console: %s logged in%s", key.person_id, " (privileged)" if session.privileged else "")
        response = web.HTTPSeeOther("/")
        response.set_cookie(
            COOKIE,
            session.token,
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie,
            path="/",
            max_age=int(self.settings.console_web_session_max_s),
        )
        raise response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        self.sessions.close(request.cookies.get(COOKIE))
        response = web.HTTPSeeOther("/login")
        response.del_cookie(COOKIE, path="/")
        raise response

    # ------------------------------------------------------------------------------------------ pages

    async def _page(self, request: web.Request) -> web.StreamResponse:
        if self._session(request) is None:
            raise web.HTTPSeeOther("/login")
        return web.FileResponse(STATIC / "console.html", headers={"Cache-Control": "no-store"})

    def _need_session(self, request: web.Request) -> Session:
        session = self._session(request)
        if session is None:
            raise web.HTTPUnauthorized(text="log in first\n")
        return session

    async def _map(self, request: web.Request) -> web.StreamResponse:
        self._need_session(request)
        return web.Response(body=self.map_json, content_type="application/json")

    async def _state(self, request: web.Request) -> web.StreamResponse:
        session = self._need_session(request)
        await self.follower.caught_up.wait()
        return web.Response(
            body=orjson.dumps(self._snapshot(session)),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """A snapshot, then every change this session may see, until it ends or falls too far behind."""
        session = self._need_session(request)
        await self.follower.caught_up.wait()
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[Change | None] = asyncio.Queue(QUEUE_MAX)
        snapshot = self._snapshot(session)
        self.streams[queue] = session  # with the snapshot, with no await between: no change falls between
        try:
            await response.write(b"event: snapshot\ndata: " + orjson.dumps(snapshot) + b"\n\n")
            while True:
                try:
                    change = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    if not self.sessions.alive(session, datetime.now(UTC)):
                        await response.write(b"event: expired\ndata: {}\n\n")
                        break
                    await response.write(b": keepalive\n\n")
                    continue
                if change is None:
                    break
                payload = {"kind": change.kind, "data": change.data}
                await response.write(b"event: change\ndata: " + orjson.dumps(payload) + b"\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.streams.pop(queue, None)
        return response

    async def _command(self, request: web.Request) -> web.StreamResponse:
        """An operator command from the page, signed with the session's key as the CLI signs it and sent to
        operator.commands; 202 with its command id once the brokers have it (the page then waits for the
        command side's answer on its event stream), 400 with the reason for a command that is not one."""
        session = self._need_session(request)
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _refused(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _refused(400, "the body is not a JSON object")
        command, target = body.get("command"), body.get("target_id")
        units = body.get("units") or []
        if command not in COMMANDS or not isinstance(target, str):
            return _refused(400, f"command must be one of {', '.join(sorted(COMMANDS))}, with a target_id")
        if (
            not isinstance(units, list)
            or len(units) > MAX_DISPATCHED_UNITS
            or not all(isinstance(u, str) for u in units)
        ):
            return _refused(400, f"units must be a list of at most {MAX_DISPATCHED_UNITS} unit ids")
        reason, note = body.get("reason_code"), body.get("note")
        if not (reason is None or isinstance(reason, str)) or not (note is None or isinstance(note, str)):
            return _refused(400, "reason_code and note must be text or null")
        try:
            message = operator_command(
                command=command,
                target_id=target,
                operator_id=session.operator_id,
                reason_code=reason or None,
                note=note or None,
                now=datetime.now(UTC),
                units=tuple(units),
            )
        except InvalidInput as refusal:
            return _refused(400, refusal.detail)
        signed = signed_command(session.key, target, message)
        assert self.producer is not None  # noqa: S101 - started with the app
        try:
            await self.producer.send_and_wait(
                self.settings.topic(topics.OPERATOR_COMMANDS), orjson.dumps(signed), key=target.encode()
            )
        except KafkaError as error:
            log.warning("web console: a command of %s was not sent: %s", session.operator_id, error)
            return _refused(503, "the brokers did not take the command; try again")
        log.info(
            "web console: %s sent %s %s (%s)", session.operator_id, command, target, message["command_id"]
        )
        return web.Response(
            status=202,
            body=orjson.dumps({"command_id": message["command_id"], "command": command, "target_id": target}),
            content_type="application/json",
        )

    def _snapshot(self, session: Session) -> dict[str, Any]:
        """What a session sees now, with who it is and the reasons each command may give."""
        reasons = {command: sorted(REASONS[command], key=lambda r: (r == "other", r)) for command in COMMANDS}
        return {
            "operator_id": session.operator_id,
            "privileged": session.privileged,
            "reasons": reasons,
            **self.view.snapshot(session.privileged),
        }

    def _broadcast(self, change: Change) -> None:
        now = datetime.now(UTC)
        for queue, session in list(self.streams.items()):
            if not change.for_session(session.privileged):
                continue
            if not self.sessions.alive(session, now) or queue.full():
                # Expired, or too far behind: the stream ends (its handler sees None, or times out and
                # finds the session gone); a browser that is still logged in reconnects to a snapshot.
                self.streams.pop(queue, None)
                if not queue.full():
                    queue.put_nowait(None)
                continue
            queue.put_nowait(change)

    async def _no_icon(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    async def _health(self, _request: web.Request) -> web.StreamResponse:
        caught_up = self.follower.caught_up.is_set()
        body = {
            "status": "ok" if caught_up else "starting",
            "caught_up": caught_up,
            "topics": self.follower.names,
            "sessions": len(self.sessions),
            "streams": len(self.streams),
            "skipped": self.view.skipped,
        }
        return web.Response(
            status=200 if caught_up else 503, body=orjson.dumps(body), content_type="application/json"
        )


def _refused(status: int, detail: str) -> web.Response:
    return web.Response(status=status, body=orjson.dumps({"error": detail}), content_type="application/json")


async def serve(settings: Settings, topology: Topology, *, restricted: bool) -> None:
    """Run the console until cancelled."""
    console = WebConsole(settings, topology, restricted=restricted)
    runner = web.AppRunner(console.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(
        runner, settings.console_web_host, settings.console_web_port, ssl_context=console.ssl_context()
    )
    await site.start()
    scheme = "https" if console.ssl_context() else "http"
    log.info("web console on %s://%s:%d", scheme, settings.console_web_host, settings.console_web_port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
