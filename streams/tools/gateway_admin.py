"""The gateway's registries, managed from the CLI: cameras (`cameras.registry`) and keys (`gateway.keys`).

Every change is produced with acks=all and waited for, so a command that exits 0 has taken effect on the
brokers; the gateways pick it up within a second (they follow both topics).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import msgspec
import orjson

from streams import topics
from streams.codecs.gateway import GATEWAY_DECODERS
from streams.domain.exceptions import InvalidInput
from streams.domain.gateway.cameras import Camera, camera_from, check_camera_row
from streams.domain.gateway.keys import GatewayKey, digest, key_from, make_key
from streams.settings import Settings
from streams.tools.exceptions import AdminError
from streams.tools.kafka_io import producer, read_to_end

ACK_TIMEOUT_S = 30.0
CAMERA_COLUMNS = ("vendor", "camera_id", "site_id", "agent_uid", "checkpoint_id", "lane", "direction")


class ImportRefused(ValueError):
    """An import file with rows that cannot be cameras: nothing was written; `defects` names each."""

    def __init__(self, defects: list[str]) -> None:
        more = f" (+{len(defects) - 1} more)" if len(defects) > 1 else ""
        super().__init__(f"{defects[0]}{more}; nothing was imported")
        self.defects = defects


def parse_camera_csv(text: str, points: frozenset[str] | None) -> list[Camera]:
    """The cameras of an import file (a header row naming at least vendor, camera_id and checkpoint_id);
    `ImportRefused` with every bad row, so a file is imported whole or not at all."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("vendor", "camera_id", "checkpoint_id") if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused(
            [f"the header has no column {', '.join(missing)} (columns: {', '.join(CAMERA_COLUMNS)})"]
        )
    cameras: dict[str, Camera] = {}
    defects: list[str] = []
    for number, row in enumerate(reader, 2):
        camera, problem = check_camera_row(row, set(points) if points is not None else None)
        if camera is None:
            defects.append(f"line {number}: {problem}")
        elif camera.key in cameras:
            defects.append(f"line {number}: camera {camera.key} is already on an earlier line")
        else:
            cameras[camera.key] = camera
    if defects:
        raise ImportRefused(defects)
    if not cameras:
        raise ImportRefused(["the file lists no camera"])
    return list(cameras.values())


def produce(settings: Settings, topic: str, records: Sequence[tuple[bytes, bytes | None]]) -> int:
    """Send and wait for every acknowledgement; `AdminError` (one line) when the brokers did not take one,
    so a command never exits 0 for a change that is not there."""
    from kafka.errors import KafkaError

    kafka = producer(settings)
    try:
        futures = [kafka.send(settings.topic(topic), key=key, value=value) for key, value in records]
        kafka.flush(timeout=ACK_TIMEOUT_S)
        for future in futures:
            future.get(timeout=ACK_TIMEOUT_S)
    except KafkaError as error:
        raise AdminError(f"the brokers did not take the change to {settings.topic(topic)}: {error}") from None
    finally:
        kafka.close()
    return len(records)


def write_cameras(settings: Settings, cameras: Iterable[Camera]) -> int:
    records = [(c.key.encode(), orjson.dumps(c.value())) for c in cameras]
    return produce(settings, topics.CAMERAS, records)


def read_cameras(settings: Settings) -> dict[str, Camera]:
    found: dict[str, Camera] = {}
    for key, value in read_to_end(settings, topics.CAMERAS):
        name = key.decode("utf-8", "replace") if key else ""
        if value is None:
            found.pop(name, None)
            continue
        try:
            found[name] = camera_from(GATEWAY_DECODERS[topics.CAMERAS].decode(value), name)
        except (InvalidInput, msgspec.DecodeError, msgspec.ValidationError):
            continue  # the gateways leave it out too
    return found


def remove_camera(settings: Settings, key: str) -> bool:
    """Tombstone the camera; False (nothing written) when no such camera is registered."""
    if key not in read_cameras(settings):
        return False
    produce(settings, topics.CAMERAS, [(key.encode(), None)])
    return True


def read_keys(settings: Settings) -> dict[str, GatewayKey]:
    found: dict[str, GatewayKey] = {}
    for key, value in read_to_end(settings, topics.GATEWAY_KEYS):
        name = key.decode("utf-8", "replace") if key else ""
        if value is None:
            found.pop(name, None)
            continue
        try:
            found[name] = key_from(GATEWAY_DECODERS[topics.GATEWAY_KEYS].decode(value), name)
        except (InvalidInput, msgspec.DecodeError, msgspec.ValidationError):
            continue
    return found


def add_key(settings: Settings, gateway_id: str, now: datetime | None = None) -> tuple[GatewayKey, str]:
    """A new key for `gateway_id`: its record (written, acknowledged) and the key itself, which is shown
    once and stored nowhere."""
    key = make_key(secrets.token_hex(6), secrets.token_bytes(32))
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    record = GatewayKey(key.split("_")[1], gateway_id, digest(key), created)
    produce(settings, topics.GATEWAY_KEYS, [(record.key_id.encode(), orjson.dumps(record.value()))])
    return record, key


def revoke_key(settings: Settings, key_id: str) -> GatewayKey | None:
    """Mark the key revoked (its record stays, saying whose it was); None when there is no such key."""
    record = read_keys(settings).get(key_id)
    if record is None:
        return None
    revoked = GatewayKey(record.key_id, record.gateway_id, record.sha256, record.created_at, "revoked")
    produce(settings, topics.GATEWAY_KEYS, [(key_id.encode(), orjson.dumps(revoked.value()))])
    return revoked
