"""The HTTP gateway end to end: a gateway process and a worker process on the real broker, posts built
from the vendors' documented fields, read back from `anpr.hits` and `alerts` with kafka-python."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from streams import topics
from streams.tools.gateway_admin import add_key, revoke_key
from tests.gateway import OPENALPR_CAMERA, PLATE_RECOGNIZER_CAMERA, GatewayProcess, multipart
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry, live_hit
from tests.vendor_payloads import alpr_group, alpr_results, heartbeat, platerecognizer

pytestmark = pytest.mark.kafka


@pytest.fixture
def gateway(cluster: Cluster, tmp_path: Path) -> Iterator[GatewayProcess]:
    found = GatewayProcess.start(cluster.settings, cluster.env, tmp_path)
    try:
        yield found
    finally:
        found.stop()


def posted_hit(hit_id: str, plate: str, **changes: object) -> dict[str, object]:
    """A canonical hit as a gateway posts it: without gateway_id (the gateway stamps its key's holder)."""
    hit = live_hit(hit_id, plate, **changes)
    hit.pop("gateway_id", None)
    return hit


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _hits(cluster: Cluster, count: int) -> dict[str, list[dict[str, object]]]:
    """The hits on anpr.hits by hit id, once at least `count` are there (and a moment more for extras)."""
    records = cluster.read(topics.HITS, until=lambda found: len(found) >= count, settle=1.5)
    by_id: dict[str, list[dict[str, object]]] = {}
    for hit in records:
        by_id.setdefault(str(hit["hit_id"]), []).append(hit)
    return by_id


def test_every_route_makes_contract_hits_and_a_listed_plate_alerts(
    cluster: Cluster, gateway: GatewayProcess
) -> None:
    cluster.send(topics.WATCHLIST, live_entry("WL-GW-1", "苏K66666"), key="WL-GW-1")
    cluster.flush()
    cluster.start_worker()
    cluster.wait_past_listing()

    frame = gateway.post("/v1/openalpr", alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="1"))
    assert frame.status == 200, frame.body
    pr = gateway.post(
        "/v1/platerecognizer", platerecognizer(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp=_utc_now())
    )
    assert pr.status == 200, pr.body
    body, content_type = multipart(
        {
            "json": (
                None,
                "application/json",
                orjson.dumps(platerecognizer(PLATE_RECOGNIZER_CAMERA, "苏C55555", stamp=_utc_now())),
            ),
            "upload": ("recognition.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20_000),
        }
    )
    with_image = gateway.post("/v1/platerecognizer", body, content_type=content_type)
    assert with_image.status == 200, with_image.body
    canonical = [posted_hit(f"GW-C-{n}", "苏D1234" + str(n), checkpoint_id="EC-0003") for n in range(3)]
    ndjson = b"\n".join(orjson.dumps(hit) for hit in canonical)
    batch = gateway.post("/v1/hits", ndjson, content_type="application/x-ndjson")
    assert batch.status == 200 and batch.body["accepted"] == 3, batch.body
    # A second agent's group record (another camera's agent preferred groups: it made none before).
    group = gateway.post("/v1/openalpr", alpr_group(OPENALPR_CAMERA, "苏E77777", uuid_tail="2"))
    assert group.status == 200, group.body

    hits = _hits(cluster, 7)
    assert all(len(copies) == 1 for copies in hits.values()), hits
    oa = hits[frame.body["hit_ids"][0]][0]
    assert (oa["checkpoint_id"], oa["lane"], oa["direction"]) == ("EC-0001", 2, "inbound")
    assert oa["plate_text"] == "苏A12345" and oa["plate_confidence"] == pytest.approx(0.918)
    assert oa["candidates"] == [{"text": "苏A12348", "confidence": pytest.approx(0.823)}]
    assert oa["plate_region"] == "cn" and oa["gateway_id"] == "test-agents"
    grouped = hits[group.body["hit_ids"][0]][0]
    assert grouped["plate_text"] == "苏E77777" and grouped["vehicle_type"] == "car"
    assert grouped["vehicle_colour"] == "silver-gray"
    recognised = hits[pr.body["hit_ids"][0]][0]
    assert (recognised["checkpoint_id"], recognised["direction"]) == ("EC-0002", "outbound")
    assert recognised["plate_text"] == "苏K66666" and recognised["vehicle_type"] == "car"
    assert hits[with_image.body["hit_ids"][0]][0]["image_refs"] == [
        "platerecognizer:gate-east-2/gate-east-2_screenshots/recognition.jpg"
    ]
    assert {f"GW-C-{n}" for n in range(3)} <= set(hits)

    def listed(alert: dict[str, object]) -> bool:
        return alert["match"]["entry_id"] == "WL-GW-1"  # type: ignore[index]

    alerts = cluster.read(topics.ALERTS, until=lambda found: any(listed(a) for a in found))
    alert = next(a for a in alerts if listed(a))
    hit_ref = alert["refs"][0]  # type: ignore[index]
    assert (hit_ref["topic"], hit_ref["id"]) == ("anpr.hits", pr.body["hit_ids"][0])
    assert (alert["checkpoint_id"], alert["direction"]) == ("EC-0002", "outbound")


def test_a_retried_post_is_the_same_hit_and_groups_are_preferred(
    cluster: Cluster, gateway: GatewayProcess
) -> None:
    frame = alpr_results(OPENALPR_CAMERA, "苏F10001", uuid_tail="r1")
    first = gateway.post("/v1/openalpr", frame)
    again = gateway.post("/v1/openalpr", frame)
    assert first.status == again.status == 200
    assert again.body["hit_ids"] == first.body["hit_ids"] and again.body["duplicates"] == 1
    # The agent's group record of the same pass names the same best frame: the same hit.
    group = alpr_group(OPENALPR_CAMERA, "苏F10001", uuid_tail="r1")
    pair = gateway.post("/v1/openalpr", group)
    assert pair.body["hit_ids"] == first.body["hit_ids"]
    # From now on this camera's frame results are skipped: its groups are the better reads.
    later = gateway.post("/v1/openalpr", alpr_results(OPENALPR_CAMERA, "苏F10002", uuid_tail="r2"))
    assert later.status == 200 and later.body["accepted"] == 0 and later.body["skipped"] == 1
    hits = _hits(cluster, 1)
    assert list(hits) == first.body["hit_ids"] and len(hits[first.body["hit_ids"][0]]) == 1
    assert 'citygate_gateway_hits_total{outcome="skipped",route="openalpr"} 1.0' in gateway.metrics()


def test_who_may_post_and_what_is_refused(cluster: Cluster, gateway: GatewayProcess) -> None:
    frame = alpr_results(OPENALPR_CAMERA, "苏G20001", uuid_tail="k1")
    nobody = gateway.post("/v1/openalpr", frame, key=None)
    assert nobody.status == 401 and nobody.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert gateway.post("/v1/openalpr", frame, key=gateway.key[:-4] + "AAAA").status == 401
    record, second_key = add_key(cluster.settings, "second-site")
    gateway.wait_for(lambda: gateway.post("/v1/openalpr", frame, key=second_key).status == 200, timeout=15)
    revoke_key(cluster.settings, record.key_id)
    gateway.wait_for(lambda: gateway.post("/v1/openalpr", frame, key=second_key).status == 401, timeout=15)

    stranger = dict(frame, camera_id=424242)
    refused = gateway.post("/v1/openalpr", stranger)
    assert refused.status == 400 and "not registered" in refused.body["defects"][0]
    moved = dict(frame, agent_uid="another-agent")
    assert "registered for agent" in gateway.post("/v1/openalpr", moved).body["defects"][0]
    broken = dict(frame, epoch_time="yesterday", results=[{"plate": "", "confidence": 140}])
    bad = gateway.post("/v1/openalpr", broken)
    assert bad.status == 400 and len(bad.body["defects"]) >= 3, bad.body
    assert any("epoch_time" in d for d in bad.body["defects"]), bad.body
    wrong_shape = gateway.post("/v1/hits", b'{"schema_version": 1, "lane": 0, "extra": true}')
    assert wrong_shape.status == 400 and len(wrong_shape.body["defects"]) >= 8, wrong_shape.body
    future = posted_hit("GW-FUTURE", "苏H30003", checkpoint_id="EC-0003", event_time="2099-01-01T00:00:00Z")
    assert "future" in gateway.post("/v1/hits", future).body["defects"][0]
    nowhere = posted_hit("GW-NOWHERE", "苏H30004", checkpoint_id="XX-9999")
    assert "not a point of the topology" in gateway.post("/v1/hits", nowhere).body["defects"][0]
    assert gateway.post("/v1/hits", b"x" * (5 * 1024 * 1024)).status == 413
    too_many = b"\n".join(
        orjson.dumps(posted_hit(f"GW-M-{n}", "苏J40000", checkpoint_id="EC-0003")) for n in range(1001)
    )
    assert gateway.post("/v1/hits", too_many, content_type="application/x-ndjson").status == 400
    assert gateway.post("/v1/hits", b"<xml/>", content_type="application/xml").status == 415

    # Only the valid frame of the key checks made hits; nothing refused reached the topic.
    time.sleep(1.0)
    hits = _hits(cluster, 1)
    assert set(hits) == {gateway.post("/v1/openalpr", frame).body["hit_ids"][0]}, hits


def _until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.25)


def test_a_heartbeat_reports_each_registered_camera_at_once(
    cluster: Cluster, gateway: GatewayProcess
) -> None:
    worker = cluster.start_worker()
    dark = gateway.post("/v1/openalpr", heartbeat(OPENALPR_CAMERA, streaming=False))
    assert dark.status == 200 and dark.body["camera_statuses"] == 1
    assert dark.body["unregistered_cameras"] == ["99"]
    statuses = cluster.read(topics.CAMERA_STATUS, until=lambda found: len(found) >= 1)
    assert statuses[0]["checkpoint_id"] == "EC-0001" and statuses[0]["streaming"] is False
    assert statuses[0]["camera"] == OPENALPR_CAMERA.key
    assert 'citygate_gateway_cameras{streaming="false"} 1.0' in gateway.metrics()

    # The worker holding the checkpoint's hits partition (here the only one) knows at once, with no hit
    # and no silence yet: the camera is dark and its checkpoint silent.
    _until(lambda: "citygate_cameras_dark 1.0" in worker.metrics(), "the worker never saw the dark camera")
    assert 'citygate_checkpoint_silent_seconds{checkpoint="EC-0001"}' in worker.metrics()
    back = gateway.post("/v1/openalpr", heartbeat(OPENALPR_CAMERA, streaming=True))
    assert back.status == 200 and back.body["camera_statuses"] == 1
    _until(lambda: "citygate_cameras_dark 0.0" in worker.metrics(), "the camera back never cleared")
    assert 'checkpoint="EC-0001"' not in worker.metrics()


def test_stream_s_form_post_with_only_the_json_field_is_a_webhook_too(
    cluster: Cluster, gateway: GatewayProcess
) -> None:
    import urllib.parse

    webhook = platerecognizer(PLATE_RECOGNIZER_CAMERA, "苏E24680", stamp=_utc_now())
    webhook["data"]["results"][0]["region"] = {"code": "", "score": 0}  # no region read
    body = urllib.parse.urlencode({"json": orjson.dumps(webhook).decode()}).encode()
    posted = gateway.post("/v1/platerecognizer", body, content_type="application/x-www-form-urlencoded")
    assert posted.status == 200 and posted.body["accepted"] == 1, posted.body
    hits = _hits(cluster, 1)
    [hit] = hits[posted.body["hit_ids"][0]]
    assert hit["plate_text"] == "苏E24680" and "plate_region" not in hit
