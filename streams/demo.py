"""A small sample feed for `make demo`: a few watchlist entries, then hits at a steady rate.

This is a showcase, not the city simulator: plates are random Yangzhou-style plates and about one hit in
fifty is a listed plate, so alerts appear within seconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson

from streams import topics
from streams.kafka_io import producer
from streams.settings import Settings

SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # GA 36-2018: never I or O

DEMO_ENTRIES = [
    ("DEMO-STOLEN-1", "苏K·3T7Q2", "stolen", 1, "车辆被盗（2026-11-28 报案）", None),
    ("DEMO-WANTED-1", "苏KD82751", "wanted", 1, "网上追逃人员驾驶", "注意安全，等待增援后盘查"),
    ("DEMO-LOOKOUT-1", "苏H5Z261", "lookout", 2, "淮安市局协查：持刀抢劫嫌疑车辆", "发现后立即报告指挥中心"),
    ("DEMO-FAKE-1", "苏KB0693", "fake_plate", 2, "疑似套牌", None),
]


def random_plate(rng: random.Random) -> str:
    serial = [rng.choice("0123456789") for _ in range(5)]
    serial[rng.randrange(5)] = rng.choice(SERIAL_LETTERS)
    return "苏K" + "".join(serial)


def demo_entry(
    entry_id: str,
    plate: str,
    category: str,
    priority: int,
    reason: str,
    instructions: str | None,
    now: datetime,
) -> dict[str, object]:
    return {
        "schema_version": 1,
        "entry_id": entry_id,
        "plate": plate,
        "category": category,
        "priority": priority,
        "reason": reason,
        "source_agency": "扬州市公安局",
        "added_by": "demo",
        "valid_from": (now - timedelta(days=1)).isoformat(),
        "valid_until": (now + timedelta(days=7)).isoformat(),
        "covert": False,
        "incident_id": None,
        "instructions": instructions,
    }


def demo_hit(rng: random.Random, sequence: int, plate: str, now: datetime) -> dict[str, object]:
    checkpoint = f"YZ-EC-{rng.randrange(1, 3161):04d}"
    confidence = round(rng.uniform(0.82, 0.99), 3)
    return {
        "schema_version": 1,
        "hit_id": f"{checkpoint}-{int(now.timestamp() * 1000)}-{sequence}",
        "checkpoint_id": checkpoint,
        "lane": rng.randint(1, 4),
        "direction": rng.choice(("inbound", "outbound")),
        "event_time": now.isoformat(),
        "plate_text": plate,
        "plate_confidence": confidence,
        "candidates": [{"text": plate, "confidence": confidence}],
        "plate_colour": "green" if len(plate.replace("·", "")) == 8 else "blue",
        "vehicle_type": rng.choice(("car", "suv", "van", "taxi")),
        "image_refs": [f"s3://anpr-images/{checkpoint}/{sequence}.jpg"],
    }


def run_feed(
    settings: Settings, *, rate: float, seconds: float | None, seed: int, echo: Callable[[str], None]
) -> None:
    rng = random.Random(seed)
    kafka = producer(settings)
    now = datetime.now(UTC)
    for entry_id, plate, category, priority, reason, instructions in DEMO_ENTRIES:
        entry = demo_entry(entry_id, plate, category, priority, reason, instructions, now)
        kafka.send(settings.topic(topics.WATCHLIST), key=entry_id.encode(), value=orjson.dumps(entry))
    kafka.flush()
    echo(f"demo feed: {len(DEMO_ENTRIES)} watchlist entries; sending hits at {rate:g}/s (Ctrl-C stops)")
    listed = [plate for _, plate, *_ in DEMO_ENTRIES]
    started = time.monotonic()
    sent = 0
    try:
        while seconds is None or time.monotonic() - started < seconds:
            plate = rng.choice(listed) if rng.random() < 0.02 else random_plate(rng)
            hit = demo_hit(rng, sent, plate, datetime.now(UTC))
            kafka.send(
                settings.topic(topics.HITS), key=str(hit["checkpoint_id"]).encode(), value=orjson.dumps(hit)
            )
            sent += 1
            # Pace against the start time, so the rate holds however long a send takes.
            delay = started + sent / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    finally:
        kafka.flush()
        kafka.close()
        echo(f"demo feed: sent {sent} hits")
