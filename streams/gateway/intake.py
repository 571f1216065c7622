"""A post's body to the records it becomes, with every defect of a bad one named.

Each route has its mapping (streams/domain/gateway/); every hit any route makes is then checked as the
worker will check it: against the `anpr.hits` Struct (streams/codecs/messages.py, the contract), against the
topology's points (a hit at no checkpoint matches nothing and lights no map), and its event time against the
gateway's clock with the worker's own bounds. What the worker would dead-letter the camera hears about now,
as a 400, instead of never.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
import orjson

from streams import topics
from streams.codecs.gateway import contract_defects
from streams.codecs.messages import HitMessage
from streams.domain.exceptions import InvalidInput
from streams.domain.fields import moment
from streams.domain.gateway import openalpr, platerecognizer
from streams.domain.gateway.cameras import CameraRegistry
from streams.domain.gateway.hits import Mapped
from streams.domain.matching.hits import HitLimits
from streams.domain.timebounds import check_time
from streams.gateway.publisher import Record
from streams.settings import Settings

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")


class BadBody(ValueError):
    """A body that is no JSON the route reads (400), with what is wrong."""


@dataclass
class Intake:
    settings: Settings
    points: frozenset[str]
    limits: HitLimits
    preference: openalpr.GroupPreference = field(default_factory=openalpr.GroupPreference)

    def canonical(self, body: bytes, content_type: str, gateway_id: str, now: datetime) -> Mapped:
        """`POST /v1/hits`: one hit as a JSON object, or NDJSON of up to `gateway_max_batch` hits."""
        mapped = Mapped()
        lines = [line for line in body.split(b"\n") if line.strip()]
        if content_type not in NDJSON_TYPES and len(lines) > 1:
            raise BadBody("several JSON lines need Content-Type application/x-ndjson")
        if not lines:
            raise BadBody("the body holds no hit")
        if len(lines) > self.settings.gateway_max_batch:
            raise BadBody(f"{len(lines)} hits in one post; at most {self.settings.gateway_max_batch}")
        numbers: list[int] = []  # the line of each hit kept, for its defects
        for number, line in enumerate(lines, 1):
            where = f"line {number}" if len(lines) > 1 else "body"
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                mapped.defects.append(f"{where}: not valid JSON ({error})")
                continue
            if isinstance(value, dict) and value.get("gateway_id", gateway_id) != gateway_id:
                mapped.defects.append(
                    f"{where}: gateway_id {str(value['gateway_id'])[:40]!r} is not the "
                    f"gateway of this key ({gateway_id!r})"
                )
                continue
            if isinstance(value, dict):
                value["gateway_id"] = gateway_id
            mapped.hits.append(value)
            numbers.append(number)
        return self._checked(mapped, now, where=lambda i: f"line {numbers[i]}" if len(lines) > 1 else "")

    def openalpr(self, body: bytes, registry: CameraRegistry, gateway_id: str, now: datetime) -> Mapped:
        """`POST /v1/openalpr`: one agent record (or a JSON array of them)."""
        value = _json(body)
        records = value if isinstance(value, list) else [value]
        if len(records) > self.settings.gateway_max_batch:
            raise BadBody(f"{len(records)} records in one post; at most {self.settings.gateway_max_batch}")
        mapped = Mapped()
        for index, record in enumerate(records):
            one = openalpr.map_record(
                record, registry, self.preference, gateway_id=gateway_id, now_s=now.timestamp()
            )
            prefix = f"[{index}]." if isinstance(value, list) else ""
            mapped.defects.extend(prefix + defect for defect in one.defects)
            mapped.hits.extend(one.hits)
            mapped.statuses.extend(one.statuses)
            mapped.skipped += one.skipped
            mapped.unregistered.extend(one.unregistered)
        return self._checked(mapped, now, where=lambda i: f"hit {i}")

    def platerecognizer(self, value: Any, registry: CameraRegistry, gateway_id: str, now: datetime) -> Mapped:
        """`POST /v1/platerecognizer`: one Stream webhook (the JSON, or a multipart post's `json` field)."""
        return self._checked(
            platerecognizer.map_webhook(value, registry, gateway_id=gateway_id),
            now,
            where=lambda i: f"hit {i}",
        )

    def _checked(self, mapped: Mapped, now: datetime, *, where: Any) -> Mapped:
        for index, hit in enumerate(mapped.hits):
            label = where(index)
            found = [] if _conforms(hit) else contract_defects(HitMessage, hit, label)
            if not found and isinstance(hit, dict):
                found = self._semantics(hit, now, label)
            mapped.defects.extend(found)
        if mapped.defects:
            mapped.hits.clear()
            mapped.statuses.clear()
        return mapped

    def _semantics(self, hit: dict[str, Any], now: datetime, label: str) -> list[str]:
        prefix = f"{label}: " if label else ""
        found: list[str] = []
        if hit["checkpoint_id"] not in self.points:
            found.append(f"{prefix}checkpoint_id {hit['checkpoint_id']!r} is not a point of the topology")
        try:
            check_time(
                moment(hit["event_time"], "event_time"),
                "event_time",
                ref=now,
                max_age=self.limits.max_age,
                max_ahead=self.limits.max_skew,
            )
        except InvalidInput as refused:
            found.append(f"{prefix}{refused.detail}")
        return found

    def records(self, mapped: Mapped) -> list[Record]:
        hits_topic = self.settings.topic(topics.HITS)
        status_topic = self.settings.topic(topics.CAMERA_STATUS)
        found = [
            Record(hits_topic, str(hit["checkpoint_id"]).encode(), orjson.dumps(hit), str(hit["hit_id"]))
            for hit in mapped.hits
        ]
        found.extend(
            Record(status_topic, status.camera.key.encode(), orjson.dumps(status.value()))
            for status in mapped.statuses
        )
        return found


def _conforms(hit: Any) -> bool:
    """The contract check in one pass (msgspec, a few µs); only a hit that fails it is judged field by
    field to name every defect."""
    try:
        msgspec.convert(hit, HitMessage, strict=True)
    except msgspec.ValidationError:
        return False
    return True


def _json(body: bytes) -> Any:
    if not body.strip():
        raise BadBody("the body is empty")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadBody(f"not valid JSON ({error})") from None


def json_part(body: bytes) -> Any:
    """The JSON of a body (BadBody when it is none)."""
    return _json(body)
