"""Camera payloads as the vendors document them, for the gateway's tests (values realistic, times now).

- OpenALPR / Rekor agent webhooks: `alpr_results` (one frame: `epoch_time` ms, `results[]` with `plate`,
  `confidence` 0..100, `candidates[]`, `plate_index`, `region`, `coordinates`), `alpr_group` (one vehicle's
  pass: `epoch_start`/`epoch_end`, `best_plate_number`, `best_confidence`, `best_uuid`, `uuids`,
  `best_plate`, `candidates`, `vehicle` with ranked `color`/`body_type`, `travel_direction`) and
  `heartbeat` (`timestamp`, `video_streams[]` with `camera_id` and `is_streaming`).
- Plate Recognizer Stream webhooks: `{"hook": {...}, "data": {"camera_id", "timestamp", "timestamp_local",
  "timestamp_camera", "filename", "results": [{"plate", "score", "dscore", "candidates", "region",
  "vehicle", "box", ...}]}}`, as JSON or as multipart with that JSON in `json` and the image in `upload`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from streams.domain.gateway.cameras import Camera


def epoch_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def _box(x: int, y: int) -> list[dict[str, int]]:
    return [{"x": x, "y": y}, {"x": x + 120, "y": y}, {"x": x + 120, "y": y + 40}, {"x": x, "y": y + 40}]


def alpr_results(camera: Camera, plate: str, *, uuid_tail: str, confidence: float = 91.8) -> dict[str, Any]:
    at = epoch_ms()
    return {
        "version": 2,
        "data_type": "alpr_results",
        "epoch_time": at,
        "img_width": 1920,
        "img_height": 1080,
        "processing_time_ms": 61.4,
        "regions_of_interest": [{"x": 0, "y": 0, "width": 1920, "height": 1080}],
        "results": [
            {
                "plate": plate,
                "confidence": confidence,
                "matches_template": 1,
                "plate_index": 0,
                "region": "cn",
                "region_confidence": 87,
                "processing_time_ms": 22.1,
                "requested_topn": 10,
                "coordinates": _box(812, 640),
                "candidates": [
                    {"plate": plate, "confidence": confidence, "matches_template": 1},
                    {"plate": plate[:-1] + "8", "confidence": confidence - 9.5, "matches_template": 0},
                ],
            }
        ],
        "uuid": f"{camera.agent_uid}-cam{camera.camera_id}-{uuid_tail}",
        "camera_id": int(camera.camera_id),
        "site_id": camera.site_id,
        "company_id": "b1a2c3d4-0000-4000-8000-yz0000000001",
        "agent_uid": camera.agent_uid,
        "agent_version": "2.8.101",
        "agent_type": "alprd",
    }


def alpr_group(camera: Camera, plate: str, *, uuid_tail: str, confidence: float = 93.4) -> dict[str, Any]:
    start = epoch_ms() - 1200
    best_uuid = f"{camera.agent_uid}-cam{camera.camera_id}-{uuid_tail}"
    best_plate = alpr_results(camera, plate, uuid_tail=uuid_tail, confidence=confidence)["results"][0]
    return {
        "version": 2,
        "data_type": "alpr_group",
        "epoch_start": start,
        "epoch_end": start + 1100,
        "frame_start": 40211,
        "frame_end": 40244,
        "company_id": "b1a2c3d4-0000-4000-8000-yz0000000001",
        "agent_uid": camera.agent_uid,
        "agent_version": "2.8.101",
        "agent_type": "alprd",
        "camera_id": int(camera.camera_id),
        "site_id": camera.site_id,
        "gps_latitude": 32.3942,
        "gps_longitude": 119.4127,
        "country": "cn",
        "uuids": [best_uuid, f"{camera.agent_uid}-cam{camera.camera_id}-{uuid_tail}-b"],
        "plate_indexes": [0, 0],
        "candidates": [
            {"plate": plate, "confidence": confidence, "matches_template": 1},
            {"plate": plate[:-1] + "8", "confidence": confidence - 11.0, "matches_template": 0},
        ],
        "vehicle_crop_jpeg": "",
        "best_plate": best_plate,
        "best_confidence": confidence,
        "best_plate_number": plate,
        "best_region": "cn",
        "best_region_confidence": 88,
        "matches_template": True,
        "best_uuid": best_uuid,
        "best_image_width": 1920,
        "best_image_height": 1080,
        "travel_direction": 182.5,
        "is_parked": False,
        "is_preview": False,
        "vehicle_path": [{"x": 900, "y": 700, "w": 300, "h": 200, "f": 40211}],
        "vehicle": {
            "color": [{"name": "silver-gray", "confidence": 81.2}, {"name": "white", "confidence": 10.1}],
            "make": [{"name": "byd", "confidence": 64.0}],
            "make_model": [{"name": "byd_qin", "confidence": 51.0}],
            "body_type": [{"name": "sedan-standard", "confidence": 90.3}],
            "year": [{"name": "2020-2024", "confidence": 40.0}],
            "orientation": [{"name": "0", "confidence": 88.0}],
        },
    }


def heartbeat(camera: Camera, *, streaming: bool) -> dict[str, Any]:
    at = epoch_ms()
    return {
        "data_type": "heartbeat",
        "version": 2,
        "company_id": "b1a2c3d4-0000-4000-8000-yz0000000001",
        "agent_uid": camera.agent_uid,
        "agent_version": "2.8.101",
        "agent_type": "alprd",
        "openalpr_version": "2.8.101",
        "agent_hostname": "yz-east-agent-1",
        "os": "linux",
        "site_id": camera.site_id,
        "timestamp": at,
        "system_uptime_seconds": 864000,
        "daemon_uptime_seconds": 86400,
        "cpu_cores": 8,
        "cpu_last_update": at,
        "cpu_usage_percent": [12.5, 14.0, 13.1],
        "disk_quota_total_bytes": 8_000_000_000,
        "disk_quota_consumed_bytes": 1_200_000_000,
        "disk_quota_earliest_result": at - 86_400_000,
        "memory_consumed_bytes": 900_000_000,
        "memory_last_update": at,
        "memory_swaptotal_bytes": 0,
        "memory_swapused_bytes": 0,
        "memory_total_bytes": 16_000_000_000,
        "processing_threads_active": 4,
        "processing_threads_configured": 4,
        "beanstalk_queue_size": 0,
        "video_streams": [
            {
                "camera_id": int(camera.camera_id),
                "camera_name": "East gate lane 2",
                "fps": 15,
                "is_streaming": streaming,
                "url": "rtsp://10.1.2.3/stream1",
                "last_update": at,
                "last_plate_read": at - 4000,
                "gps_latitude": 32.3942,
                "gps_longitude": 119.4127,
            },
            {"camera_id": 99, "camera_name": "not in the registry", "fps": 15, "is_streaming": True},
        ],
    }


def platerecognizer(camera: Camera, plate: str, *, stamp: str, score: float = 0.902) -> dict[str, Any]:
    """A Stream recognition webhook; `stamp` is the recognition's UTC time (Stream's `timestamp`)."""
    local = datetime.fromisoformat(stamp).astimezone().isoformat(sep=" ")
    return {
        "hook": {
            "target": "https://gateway.example/v1/platerecognizer",
            "id": camera.camera_id,
            "event": "recognition",
            "filename": f"{camera.camera_id}_screenshots/recognition.jpg",
        },
        "data": {
            "camera_id": camera.camera_id,
            "filename": f"{camera.camera_id}_screenshots/recognition.jpg",
            "timestamp": stamp,
            "timestamp_local": local,
            "timestamp_camera": None,
            "results": [
                {
                    "box": {"xmin": 143, "ymin": 481, "xmax": 282, "ymax": 575},
                    "candidates": [
                        {"score": score, "plate": plate.lower()},
                        {"score": 0.751, "plate": "苏k1234s"},
                    ],
                    "color": [{"color": "black", "score": 0.702}, {"color": "white", "score": 0.11}],
                    "dscore": 0.856,
                    "model_make": [{"make": "Volkswagen", "model": "Lavida", "score": 0.61}],
                    "orientation": [{"orientation": "Front", "score": 0.94}],
                    "plate": plate.lower(),
                    "region": {"score": 0.83, "code": "cn"},
                    "score": score,
                    "vehicle": {
                        "score": 0.79,
                        "type": "Sedan",
                        "box": {"xmin": 0, "ymin": 0, "xmax": 900, "ymax": 700},
                    },
                    "direction": 210,
                    "source_url": "rtsp://10.1.2.4/stream1",
                    "position_sec": 12.8,
                }
            ],
        },
    }
