"""OpenALPR / Rekor agent records mapped to canonical hits: `alpr_results`, `alpr_group`, `heartbeat`.

- `alpr_results`: one frame, each of its `results` a plate read (confidence 0..100, `candidates` its
  alternatives). Its hit id comes from the agent, the frame's `uuid` and the plate's index in the frame.
- `alpr_group`: one vehicle's pass, summarised after it left the frame (`best_plate_number`,
  `best_confidence`, `best_uuid`). Its hit id is that of its best frame's read, so a camera whose agent sends
  both makes one hit of the pair; and once a camera has sent a group, its frame results are skipped
  (`GroupPreference`): the group is the better read of the pass.
- `heartbeat`: the agent's health, each `video_streams[]` one camera with `is_streaming`; each registered
  camera's status goes to `cameras.status` at once, so a dark camera is known before its silence is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streams.domain.gateway.cameras import Camera, CameraRegistry, Unregistered
from streams.domain.gateway.hits import (
    PLATE_MAX,
    CameraStatus,
    Mapped,
    canonical_hit,
    epoch_ms_time,
    scaled,
    stable_hit_id,
    vehicle_type,
)
from streams.domain.gateway.reading import Reader

VENDOR = "openalpr"
DATA_TYPES = ("alpr_results", "alpr_group", "heartbeat")
# How long after its last group record a camera still counts as one that sends groups.
GROUP_MEMORY_S = 3600.0


@dataclass(slots=True)
class GroupPreference:
    """Which cameras send group records (state in, state out: time passed in, bounded by the registry)."""

    last_group_s: dict[str, float] = field(default_factory=dict)

    def saw_group(self, camera_key: str, now_s: float) -> None:
        self.last_group_s[camera_key] = now_s

    def sends_groups(self, camera_key: str, now_s: float) -> bool:
        seen = self.last_group_s.get(camera_key)
        return seen is not None and now_s - seen < GROUP_MEMORY_S


def map_record(
    record: object,
    registry: CameraRegistry,
    preference: GroupPreference,
    *,
    gateway_id: str,
    now_s: float,
) -> Mapped:
    """One record an agent posted, by its `data_type`."""
    mapped = Mapped()
    reader = Reader(record, "", mapped.defects)
    if not reader.valid:
        return mapped
    data_type = reader.text("data_type", required=True)
    context = _Context(registry, mapped, preference, gateway_id, now_s)
    handlers: dict[str, Callable[[Reader, _Context], None]] = {
        "alpr_results": _results,
        "alpr_group": _group,
        "heartbeat": _heartbeat,
    }
    handler = handlers.get(data_type or "")
    if handler is None:
        if data_type is not None:
            reader.defect(f"must be one of {', '.join(DATA_TYPES)}, got {data_type[:40]!r}", "data_type")
        return mapped
    handler(reader, context)
    if mapped.defects:
        mapped.hits.clear()
        mapped.statuses.clear()
    return mapped


@dataclass(frozen=True, slots=True)
class _Context:
    registry: CameraRegistry
    mapped: Mapped
    preference: GroupPreference
    gateway_id: str
    now_s: float


def _camera(reader: Reader, registry: CameraRegistry) -> Camera | None:
    camera_id = reader.ident("camera_id", required=True)
    agent_uid = reader.text("agent_uid", required=True, max_length=128)
    site_id = reader.ident("site_id", max_length=128)
    if camera_id is None or agent_uid is None:
        return None
    try:
        return registry.find(VENDOR, camera_id, site_id=site_id, agent_uid=agent_uid)
    except Unregistered as refused:
        reader.defect(str(refused), "camera_id")
        return None


def _candidates(reader: Reader, name: str) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    for index, value in enumerate(reader.items(name, max_items=100)):
        item = reader.element(name, index, value)
        text = item.text("plate", max_length=64)
        confidence = item.number("confidence", low=0, high=100)
        if text is not None and confidence is not None and len(text) <= PLATE_MAX:
            found.append((text, scaled(confidence, 100)))
    return found


def _results(reader: Reader, context: _Context) -> None:
    mapped, gateway_id = context.mapped, context.gateway_id
    camera = _camera(reader, context.registry)
    agent_uid = reader.obj.get("agent_uid")
    uuid = reader.text("uuid", required=True, max_length=256)
    epoch = reader.number("epoch_time", required=True, low=0)
    results = reader.items("results", required=True)
    event_time = None if epoch is None else epoch_ms_time(epoch)
    if epoch is not None and event_time is None:
        reader.defect(f"must be epoch milliseconds of a time in 2000..2099, got {epoch:.0f}", "epoch_time")
    usable = camera is not None and uuid is not None and event_time is not None
    if usable and camera is not None and context.preference.sends_groups(camera.key, context.now_s):
        mapped.skipped += len(results)
        return
    for index, value in enumerate(results):
        item = reader.element("results", index, value)
        plate = item.text("plate", required=True, max_length=PLATE_MAX)
        confidence = item.number("confidence", required=True, low=0, high=100)
        plate_index = item.number("plate_index", low=0, high=1000)
        region = item.text("region", max_length=16, empty_is_none=True)
        candidates = _candidates(item, "candidates")
        if plate is None or confidence is None or camera is None or uuid is None or event_time is None:
            continue
        position = str(int(plate_index if plate_index is not None else index))
        mapped.hits.append(
            canonical_hit(
                camera,
                hit_id=stable_hit_id(VENDOR, str(agent_uid), uuid, position),
                event_time=event_time,
                plate=plate,
                confidence=scaled(confidence, 100),
                candidates=candidates,
                gateway_id=gateway_id,
                image_refs=[f"openalpr:{agent_uid}/{uuid}"],
                region=region,
            )
        )


def _group(reader: Reader, context: _Context) -> None:
    mapped, gateway_id = context.mapped, context.gateway_id
    camera = _camera(reader, context.registry)
    agent_uid = reader.obj.get("agent_uid")
    plate = reader.text("best_plate_number", required=True, max_length=PLATE_MAX)
    confidence = reader.number("best_confidence", required=True, low=0, high=100)
    best_uuid = reader.text("best_uuid", required=True, max_length=256)
    epoch = reader.number("epoch_start", required=True, low=0)
    region = reader.text("best_region", max_length=16, empty_is_none=True)
    best = reader.child("best_plate")
    plate_index = best.number("plate_index", low=0, high=1000) if best else None
    candidates = _candidates(reader, "candidates")
    if best is not None and not candidates:
        candidates = _candidates(best, "candidates")
    vehicle = reader.child("vehicle")
    event_time = None if epoch is None else epoch_ms_time(epoch)
    if epoch is not None and event_time is None:
        reader.defect(f"must be epoch milliseconds of a time in 2000..2099, got {epoch:.0f}", "epoch_start")
    if camera is None or plate is None or confidence is None or best_uuid is None or event_time is None:
        return
    context.preference.saw_group(camera.key, context.now_s)
    mapped.hits.append(
        canonical_hit(
            camera,
            hit_id=stable_hit_id(VENDOR, str(agent_uid), best_uuid, str(int(plate_index or 0))),
            event_time=event_time,
            plate=plate,
            confidence=scaled(confidence, 100),
            candidates=candidates,
            gateway_id=gateway_id,
            vehicle=vehicle_type(vehicle.first_name("body_type", "name")) if vehicle else None,
            colour=vehicle.first_name("color", "name") if vehicle else None,
            image_refs=[f"openalpr:{agent_uid}/{best_uuid}"],
            region=region,
        )
    )


def _heartbeat(reader: Reader, context: _Context) -> None:
    mapped, registry = context.mapped, context.registry
    agent_uid = reader.text("agent_uid", required=True, max_length=128)
    site_id = reader.ident("site_id", max_length=128)
    epoch = reader.number("timestamp", required=True, low=0)
    reported_at = None if epoch is None else epoch_ms_time(epoch)
    if epoch is not None and reported_at is None:
        reader.defect(f"must be epoch milliseconds of a time in 2000..2099, got {epoch:.0f}", "timestamp")
    streams = reader.items("video_streams", required=True, max_items=256)
    statuses: list[tuple[str, bool]] = []
    for index, value in enumerate(streams):
        item = reader.element("video_streams", index, value)
        camera_id = item.ident("camera_id", required=True)
        streaming = item.flag("is_streaming", required=True)
        if camera_id is not None and streaming is not None:
            statuses.append((camera_id, streaming))
    if agent_uid is None or reported_at is None:
        return
    for camera_id, streaming in statuses:
        try:
            camera = registry.find(VENDOR, camera_id, site_id=site_id, agent_uid=agent_uid)
        except Unregistered:
            mapped.unregistered.append(camera_id)
            continue
        mapped.statuses.append(CameraStatus(camera, streaming, reported_at, context.gateway_id))


def record_kind(record: Any) -> str:
    """The record's data_type for metrics (bounded: unknown kinds are `other`)."""
    kind = record.get("data_type") if isinstance(record, dict) else None
    return kind if kind in DATA_TYPES else "other"
