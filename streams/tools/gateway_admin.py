"""The gateway's registries, managed from the CLI: cameras (`cameras.registry`) and keys (`gateway.keys`).

Every change is produced with acks=all and waited for, so a command that exits 0 has taken effect on the
brokers; the gateways pick it up within a second (they follow both topics).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

import orjson

from streams import topics
from streams.codecs.gateway import GATEWAY_DECODERS
from streams.domain.gateway.cameras import Camera, camera_from, check_camera_row
from streams.domain.gateway.keys import GatewayKey, digest, key_from, make_key
from streams.settings import Settings
from streams.tools.registries import parse_rows, produce, read_registry

CAMERA_COLUMNS = ("vendor", "camera_id", "site_id", "agent_uid", "checkpoint_id", "lane", "direction")


def parse_camera_csv(text: str, points: frozenset[str] | None) -> list[Camera]:
    """The cameras of an import file (a header row naming at least vendor, camera_id and checkpoint_id);
    `ImportRefused` with every bad row, so a file is imported whole or not at all."""
    known = set(points) if points is not None else None
    return parse_rows(
        text,
        ("vendor", "camera_id", "checkpoint_id"),
        CAMERA_COLUMNS,
        lambda row: check_camera_row(row, known),
        lambda camera: camera.key,
        "camera",
    )


def write_cameras(settings: Settings, cameras: Iterable[Camera]) -> int:
    records = [(c.key.encode(), orjson.dumps(c.value())) for c in cameras]
    return produce(settings, topics.CAMERAS, records)


def read_cameras(settings: Settings) -> dict[str, Camera]:
    decode = GATEWAY_DECODERS[topics.CAMERAS].decode
    return read_registry(settings, topics.CAMERAS, lambda value, key: camera_from(decode(value), key))


def remove_camera(settings: Settings, key: str) -> bool:
    """Tombstone the camera; False (nothing written) when no such camera is registered."""
    if key not in read_cameras(settings):
        return False
    produce(settings, topics.CAMERAS, [(key.encode(), None)])
    return True


def read_keys(settings: Settings) -> dict[str, GatewayKey]:
    decode = GATEWAY_DECODERS[topics.GATEWAY_KEYS].decode
    return read_registry(settings, topics.GATEWAY_KEYS, lambda value, key: key_from(decode(value), key))


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
