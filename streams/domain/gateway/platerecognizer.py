"""Plate Recognizer Stream webhooks mapped to canonical hits.

Stream posts one recognition per webhook call: `{"hook": {"id", "event", …}, "data": {"camera_id",
"timestamp", "timestamp_camera", "filename", "results": [...]}}`, as JSON, or as multipart with that JSON
in a `json` field and the image in `upload` (the adapter takes the JSON part; the gateway keeps no images,
only the file name as the read's image reference). Scores are 0..1. Stream's own id of a recognition is the
camera, its timestamp and the result's place in it, so that is what the hit id is derived from: a webhook
Stream resends (it retries until a 2xx) is the same hit.

What real Stream installations send besides: a form post (`application/x-www-form-urlencoded`) with the
JSON in a `json` field; `"region": {"code": ""}` when no region was read; `timestamp_camera` null or in a
form without a zone (then the gateway's `timestamp`, always UTC, is the read's time); and, in
`detection_mode = vehicle`, `plate` as an object (`{"type", "score", "props": {"plate": [{"value",
"score"}], "region": [{"value", "score"}]}}`) or null for a vehicle with no plate read (skipped).
"""

from __future__ import annotations

from collections.abc import Mapping

from streams.domain.gateway.cameras import CameraRegistry, Unregistered
from streams.domain.gateway.hits import (
    PLATE_MAX,
    Mapped,
    canonical_hit,
    iso_time,
    stable_hit_id,
    vehicle_type,
)
from streams.domain.gateway.reading import Reader

VENDOR = "platerecognizer"
# The hook events that carry plate reads; others (Stream's status events) are acknowledged and skipped.
READ_EVENTS = ("recognition",)


def map_webhook(record: object, registry: CameraRegistry, *, gateway_id: str) -> Mapped:
    """One webhook body (the JSON object, decoded)."""
    mapped = Mapped()
    top = Reader(record, "", mapped.defects)
    if not top.valid:
        return mapped
    hook = top.child("hook")
    event = hook.text("event", max_length=64) if hook else None
    if event is not None and event not in READ_EVENTS:
        mapped.skipped += 1
        return mapped
    data = top.child("data", required=True)
    if data is None or not data.valid:
        return mapped
    camera_id = data.ident("camera_id", required=True)
    stamp = data.text("timestamp", required=True, max_length=64)
    camera_stamp = data.text("timestamp_camera", max_length=64)
    filename = data.text("filename", max_length=400)
    results = data.items("results", required=True, max_items=100)
    # The camera's own clock when it says its zone; else Stream's timestamp (UTC).
    event_time = iso_time(camera_stamp) if camera_stamp is not None else None
    if event_time is None and stamp is not None:
        event_time = iso_time(stamp)
        if event_time is None:
            data.defect(
                f"must be an ISO 8601 time with its zone in 2000..2099, got {stamp[:40]!r}", "timestamp"
            )
    camera = None
    if camera_id is not None:
        try:
            camera = registry.find(VENDOR, camera_id, site_id=None, agent_uid=None)
        except Unregistered as refused:
            data.defect(str(refused), "camera_id")
    if camera is None or stamp is None or event_time is None:
        return mapped
    for index, value in enumerate(results):
        item = data.element("results", index, value)
        read = _plate_read(item)
        if read is None:  # a vehicle with no plate read (detection_mode = vehicle)
            mapped.skipped += 1
            continue
        plate, score, region_code = read
        candidates: list[tuple[str, float]] = []
        for position, raw in enumerate(item.items("candidates", max_items=100)):
            candidate = item.element("candidates", position, raw)
            text = candidate.text("plate", max_length=64)
            candidate_score = candidate.number("score", low=0, high=1)
            if text is not None and candidate_score is not None:
                candidates.append((text, round(candidate_score, 4)))
        vehicle = item.child("vehicle")
        if plate is None or score is None:
            continue
        mapped.hits.append(
            canonical_hit(
                camera,
                hit_id=stable_hit_id(VENDOR, camera_id or "", stamp, str(index)),
                event_time=event_time,
                plate=plate,
                confidence=round(score, 4),
                candidates=candidates,
                gateway_id=gateway_id,
                vehicle=vehicle_type(vehicle.text("type", max_length=64)) if vehicle else None,
                colour=item.first_name("color", "color"),
                image_refs=[f"platerecognizer:{camera_id}/{filename}"] if filename else None,
                region=region_code,
            )
        )
    if mapped.defects:
        mapped.hits.clear()
    return mapped


def _plate_read(item: Reader) -> tuple[str | None, float | None, str | None] | None:
    """(plate, score, region code) of one result, None when it has no plate read at all. Defects are
    recorded on `item`; a field in defect is None."""
    if "plate" in item.obj and item.obj["plate"] is None:
        return None
    if isinstance(item.obj.get("plate"), Mapping):  # detection_mode = vehicle
        plate = item.child("plate", required=True)
        props = plate.child("props", required=True) if plate else None
        if props is None or not props.valid:
            return None, None, None
        plates = props.items("plate", max_items=20)
        if not plates:
            return None
        best = props.element("plate", 0, plates[0])
        regions = props.items("region", max_items=20)
        first = props.element("region", 0, regions[0]) if regions else None
        return (
            best.text("value", required=True, max_length=PLATE_MAX),
            best.number("score", required=True, low=0, high=1),
            first.text("value", max_length=16, empty_is_none=True) if first else None,
        )
    region = item.child("region")
    return (
        item.text("plate", required=True, max_length=PLATE_MAX),
        item.number("score", required=True, low=0, high=1),
        region.text("code", max_length=16, empty_is_none=True) if region else None,
    )
