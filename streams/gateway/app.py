"""The gateway's HTTP routes: one aiohttp application over the follower, the intake and the publisher.

Answers, so that a camera's agent does the right thing with each:
- 200 with what was accepted, only after the brokers acknowledged every record of the post;
- 400 naming every defect (nothing of the post is sent: fix it, do not retry it as is);
- 401 without a valid key (the same for a missing, unknown, revoked or wrong key);
- 413 above `CITYGATE_GATEWAY_MAX_BODY_BYTES`, 415 for a body type the route does not read;
- 429 when the gateway holds `CITYGATE_GATEWAY_QUEUE_MAX` records unacknowledged, 503 when the brokers did
  not acknowledge within `CITYGATE_GATEWAY_ACK_TIMEOUT_S` or the registry is not read yet: keep the read,
  retry (both carry Retry-After).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.domain.gateway.hits import Mapped
from streams.gateway.follower import Follower
from streams.gateway.intake import BadBody, Intake, json_part
from streams.gateway.metrics import GatewayMetrics
from streams.gateway.publisher import BrokerUnavailable, Publisher, QueueFull

log = logging.getLogger(__name__)

ROUTES = {"/v1/hits": "hits", "/v1/openalpr": "openalpr", "/v1/platerecognizer": "platerecognizer"}
# How long a failed post keeps /health at 503 when no post has succeeded since: long enough for a load
# balancer to see it, short enough that a gateway nobody posts to (its cameras sent elsewhere) comes back.
UNAVAILABLE_FOR_S = 30.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )


def refuse(status: int, error: str, **extra: Any) -> web.Response:
    headers = {"Retry-After": "1" if status == 429 else "5"} if status in (429, 503) else None
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="citygate"'}
    return _answer(status, {"error": error, **extra}, headers)


class Gateway:
    def __init__(
        self,
        intake: Intake,
        follower: Follower,
        publisher: Publisher,
        metrics: GatewayMetrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.intake = intake
        self.follower = follower
        self.publisher = publisher
        self.metrics = metrics
        self.clock = clock
        self.streaming: dict[str, bool] = {}  # camera key → its last heartbeat's is_streaming

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.intake.settings.gateway_max_body_bytes, middlewares=[self._count]
        )
        app.router.add_post("/v1/hits", self._hits)
        app.router.add_post("/v1/openalpr", self._openalpr)
        app.router.add_post("/v1/platerecognizer", self._platerecognizer)
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        return app

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route = ROUTES.get(request.path) or _OTHER_ROUTES.get(request.path, "other")
        try:
            response = await handler(request)
        except web.HTTPRequestEntityTooLarge:
            limit = self.intake.settings.gateway_max_body_bytes
            response = refuse(413, f"the body is larger than {limit} bytes (CITYGATE_GATEWAY_MAX_BODY_BYTES)")
        except web.HTTPException as error:
            response = refuse(error.status, error.reason)
        self.metrics.requests.labels(route, str(response.status)).inc()
        return response

    # ------------------------------------------------------------------------------------------ routes

    async def _hits(self, request: web.Request) -> web.Response:
        return await self._post(request, "hits", self._read_hits)

    async def _openalpr(self, request: web.Request) -> web.Response:
        return await self._post(request, "openalpr", self._read_openalpr)

    async def _platerecognizer(self, request: web.Request) -> web.Response:
        return await self._post(request, "platerecognizer", self._read_platerecognizer)

    async def _read_hits(self, request: web.Request, gateway_id: str) -> Mapped:
        body = await request.read()
        return self.intake.canonical(body, request.content_type, gateway_id, self.clock())

    async def _read_openalpr(self, request: web.Request, gateway_id: str) -> Mapped:
        body = await request.read()
        return self.intake.openalpr(body, self.follower.cameras, gateway_id, self.clock())

    async def _read_platerecognizer(self, request: web.Request, gateway_id: str) -> Mapped:
        if _is_form(request):  # multipart with the image, or Stream's form post with only the json field
            form = await request.post()
            part = form.get("json")
            if part is None:
                raise BadBody("a form or multipart webhook needs its JSON in a field named json")
            if isinstance(part, str):
                raw = part.encode("utf-8", "surrogatepass")
            elif isinstance(part, bytes | bytearray):
                raw = bytes(part)
            else:
                raw = part.file.read()
            value = json_part(raw)
        else:
            value = json_part(await request.read())
        return self.intake.platerecognizer(value, self.follower.cameras, gateway_id, self.clock())

    async def _post(
        self,
        request: web.Request,
        route: str,
        read: Callable[[web.Request, str], Awaitable[Mapped]],
    ) -> web.Response:
        if not self.follower.ready:  # the keys are not read yet either: a 401 now would turn away everyone
            return refuse(503, "the gateway is still reading the camera registry; retry shortly")
        key = _presented_key(request)
        found = self.follower.keys.authenticate(key) if key else None
        if found is None:
            return refuse(401, "a valid gateway key is required: Authorization: Bearer cgk_…")
        length = request.content_length
        if length is not None and length > self.intake.settings.gateway_max_body_bytes:
            raise web.HTTPRequestEntityTooLarge(
                max_size=self.intake.settings.gateway_max_body_bytes, actual_size=length
            )
        type_ok = route == "platerecognizer" and _is_form(request)
        if not type_ok and request.content_type not in ("application/json", *_NDJSON, "text/plain", ""):
            return refuse(415, f"Content-Type {request.content_type!r} is not JSON")
        try:
            mapped = await read(request, found.gateway_id)
        except BadBody as bad:
            return refuse(400, "the body cannot be read", defects=[str(bad)])
        if mapped.defects:
            error = f"{len(mapped.defects)} defects; nothing of this post was sent"
            return refuse(400, error, defects=mapped.defects)
        records = self.intake.records(mapped)
        try:
            published = await self.publisher.publish(records)
        except QueueFull as full:
            return refuse(429, str(full))
        except BrokerUnavailable as away:
            return refuse(503, f"the brokers did not take the post: {away}; retry it")
        finally:
            self.metrics.in_flight.set(self.publisher.in_flight)
        self.metrics.ack_seconds.observe(published.ack_s)
        duplicates = min(published.duplicates, len(mapped.hits))
        self.metrics.hits.labels(route, "produced").inc(len(mapped.hits) - duplicates)
        self.metrics.hits.labels(route, "duplicate").inc(duplicates)
        if mapped.skipped:
            self.metrics.hits.labels(route, "skipped").inc(mapped.skipped)
        self._note_statuses(mapped)
        body: dict[str, Any] = {
            "accepted": len(mapped.hits),
            "duplicates": duplicates,
            "skipped": mapped.skipped,
            "hit_ids": [hit["hit_id"] for hit in mapped.hits],
        }
        if mapped.statuses or mapped.unregistered:
            body["camera_statuses"] = len(mapped.statuses)
            body["unregistered_cameras"] = mapped.unregistered
        return _answer(200, body)

    def _note_statuses(self, mapped: Mapped) -> None:
        if not mapped.statuses:
            return
        for status in mapped.statuses:
            self.streaming[status.camera.key] = status.streaming
        for stale in [key for key in self.streaming if key not in self.follower.cameras.cameras]:
            del self.streaming[stale]
        on = sum(self.streaming.values())
        self.metrics.cameras.labels("true").set(on)
        self.metrics.cameras.labels("false").set(len(self.streaming) - on)

    async def _health(self, _request: web.Request) -> web.Response:
        problems: list[str] = []
        if not self.follower.ready:
            why = f" ({self.follower.problem})" if self.follower.problem else ""
            problems.append(f"registry_not_ready: the camera registry and keys are not read yet{why}")
        failed_s, acked_s = self.publisher.last_failure_s, self.publisher.last_ack_s
        if not self.publisher.started:
            problems.append("producer_not_started: not connected to the cluster yet")
        elif (
            failed_s is not None
            and (acked_s is None or failed_s > acked_s)
            and time.monotonic() - failed_s < UNAVAILABLE_FOR_S
        ):
            ago = time.monotonic() - failed_s
            problems.append(
                f"brokers_unavailable: the last post failed {ago:.0f} s ago ({self.publisher.last_failure})"
            )
        body = {
            "status": "ok" if not problems else "unavailable",
            "problems": problems,
            "cameras": len(self.follower.cameras),
            "keys": len(self.follower.keys),
            "in_flight": self.publisher.in_flight,
        }
        self.metrics.registered.labels("cameras").set(len(self.follower.cameras))
        self.metrics.registered.labels("keys").set(len(self.follower.keys))
        return _answer(200 if not problems else 503, body)

    async def _metrics(self, _request: web.Request) -> web.Response:
        self.metrics.registered.labels("cameras").set(len(self.follower.cameras))
        self.metrics.registered.labels("keys").set(len(self.follower.keys))
        self.metrics.in_flight.set(self.publisher.in_flight)
        response = web.Response(body=generate_latest(self.metrics.registry))
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response


_OTHER_ROUTES = {"/health": "health", "/metrics": "metrics"}
_NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")


def _is_form(request: web.Request) -> bool:
    return request.content_type.startswith("multipart/") or (
        request.content_type == "application/x-www-form-urlencoded"
    )


def _presented_key(request: web.Request) -> str | None:
    """The key in `Authorization: Bearer <key>` (or `Token <key>`, as Plate Recognizer Stream's webhook
    header setting writes it), else `X-Api-Key`. Never a query parameter: URLs end up in logs."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    return request.headers.get("X-Api-Key", "").strip() or None
