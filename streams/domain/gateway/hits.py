"""What every vendor mapping shares: the canonical hit it builds, its stable id, and its times.

A mapped hit is a plain `anpr.hits` message (a dict the adapter checks against the contract's Struct and
sends as JSON): the camera's checkpoint, lane and direction from the registry, the vendor's plate and its
confidence scaled to 0..1, its alternatives, and a `hit_id` derived from the vendor's own id of the read, so
an agent that posts the same record again (they retry every few seconds until they get a 2xx) makes the same
hit, which the worker counts once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from streams.domain.gateway.cameras import Camera

MAX_CANDIDATES = 10
PLATE_MAX = 16
# Epoch-millisecond times outside these years are a unit mix-up (seconds, microseconds), not a read.
_EARLIEST_MS = 946_684_800_000  # 2000-01-01
_LATEST_MS = 4_102_444_800_000  # 2100-01-01

# The vendors' vehicle classes, as `anpr.hits` names them (anything else: other).
VEHICLE_TYPES = {
    "sedan": "car",
    "sedan-compact": "car",
    "sedan-standard": "car",
    "sedan-sports": "car",
    "sedan-wagon": "car",
    "car": "car",
    "hatchback": "car",
    "coupe": "car",
    "suv": "suv",
    "suv-compact": "suv",
    "suv-standard": "suv",
    "crossover": "suv",
    "van": "van",
    "van-mini": "van",
    "van-full": "van",
    "minivan": "van",
    "bus": "bus",
    "truck": "truck",
    "truck-standard": "truck",
    "pickup truck": "truck",
    "big truck": "truck",
    "tractor-trailer": "truck",
    "motorcycle": "motorcycle",
    "taxi": "taxi",
}


def stable_hit_id(vendor: str, *parts: str) -> str:
    """`openalpr-3f2a…`: the same vendor read gives the same id, whoever posts it how often."""
    joined = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return f"{vendor}-{hashlib.sha256(joined).hexdigest()[:40]}"


def epoch_ms_time(value: float) -> str | None:
    """RFC 3339 (UTC, milliseconds) of an epoch time in ms; None when it cannot be one."""
    if not _EARLIEST_MS <= value < _LATEST_MS:
        return None
    moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_time(text: str) -> str | None:
    """RFC 3339 of an ISO 8601 time that carries its zone (`2026-12-02T09:14:03.123456Z`, or Plate
    Recognizer's `2026-12-02 17:14:03.123456+08:00`); None for a naive time or not a time at all. The zone
    is kept: a read's local offset says where the camera's clock thinks it is."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None or not 2000 <= moment.year < 2100:
        return None
    spelled = moment.isoformat(timespec="milliseconds")
    return spelled.replace("+00:00", "Z")


def vehicle_type(name: str | None) -> str | None:
    if name is None:
        return None
    return VEHICLE_TYPES.get(name.strip().lower(), "other")


def scaled(confidence: float, scale: float) -> float:
    """A vendor's confidence (0..scale) as 0..1, rounded to what a read's confidence can mean."""
    return round(min(max(confidence / scale, 0.0), 1.0), 4)


def canonical_hit(
    camera: Camera,
    *,
    hit_id: str,
    event_time: str,
    plate: str,
    confidence: float,
    candidates: list[tuple[str, float]],
    gateway_id: str,
    vehicle: str | None = None,
    colour: str | None = None,
    image_refs: list[str] | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The `anpr.hits` message of one read (plate as the vendor spelled it, upper-cased: Plate Recognizer
    reports `苏k12345`; the worker normalises everything else)."""
    plate_text = plate.upper()
    seen = {plate_text}
    alternatives: list[dict[str, Any]] = []
    for text, score in candidates:
        text = text.upper()
        if text and len(text) <= PLATE_MAX and text not in seen and len(alternatives) < MAX_CANDIDATES:
            seen.add(text)
            alternatives.append({"text": text, "confidence": score})
    found: dict[str, Any] = {
        "schema_version": 1,
        "hit_id": hit_id,
        "checkpoint_id": camera.checkpoint_id,
        "lane": camera.lane,
        "direction": camera.direction,
        "event_time": event_time,
        "plate_text": plate_text,
        "plate_confidence": confidence,
        "plate_colour": "unknown",
        "gateway_id": gateway_id,
    }
    if alternatives:
        found["candidates"] = alternatives
    if vehicle:
        found["vehicle_type"] = vehicle
    if colour:
        found["vehicle_colour"] = colour
    if image_refs:
        found["image_refs"] = [ref[:512] for ref in image_refs[:8]]
    if region:
        found["plate_region"] = region[:16]
    return found


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """What a heartbeat says of one camera: `cameras.status` (key: the camera's registry key)."""

    camera: Camera
    streaming: bool
    reported_at: str
    gateway_id: str

    def value(self) -> dict[str, object]:
        return {
            "schema_version": 1,
            "checkpoint_id": self.camera.checkpoint_id,
            "lane": self.camera.lane,
            "camera": self.camera.key,
            "streaming": self.streaming,
            "reported_at": self.reported_at,
            "gateway_id": self.gateway_id,
        }


@dataclass(slots=True)
class Mapped:
    """One post mapped: the hits to produce, the camera statuses (heartbeats), what was wrong with it
    (`defects`: a 400 names them all and nothing is produced), and reads left out on purpose (`skipped`:
    a camera's frame results when its agent sends the vehicle's group record)."""

    hits: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[CameraStatus] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    skipped: int = 0
    unregistered: list[str] = field(default_factory=list)
