"""Vendor records → canonical hits, without Kafka: every field mapped, every defect named, ids stable."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from streams.domain.gateway import openalpr, platerecognizer
from streams.domain.gateway.cameras import CameraRegistry
from tests.gateway import OPENALPR_CAMERA, PLATE_RECOGNIZER_CAMERA
from tests.vendor_payloads import alpr_group, alpr_results, heartbeat
from tests.vendor_payloads import platerecognizer as pr_webhook

NOW_S = 1_796_200_000.0


def registry() -> CameraRegistry:
    found = CameraRegistry()
    for camera in (OPENALPR_CAMERA, PLATE_RECOGNIZER_CAMERA):
        found.apply(camera.key, camera)
    return found


def oa(record: Any, preference: openalpr.GroupPreference | None = None) -> Any:
    return openalpr.map_record(
        record, registry(), preference or openalpr.GroupPreference(), gateway_id="gw-1", now_s=NOW_S
    )


def test_a_frame_result_becomes_one_hit_at_the_registered_checkpoint() -> None:
    mapped = oa(alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="1", confidence=91.8))
    assert not mapped.defects
    (hit,) = mapped.hits
    assert (hit["checkpoint_id"], hit["lane"], hit["direction"]) == ("EC-0001", 2, "inbound")
    assert hit["plate_text"] == "苏A12345" and hit["plate_confidence"] == pytest.approx(0.918)
    assert hit["candidates"] == [{"text": "苏A12348", "confidence": pytest.approx(0.823)}]
    assert hit["event_time"].endswith("Z") and hit["gateway_id"] == "gw-1" and hit["plate_region"] == "cn"
    assert hit["hit_id"].startswith("openalpr-") and len(hit["hit_id"]) == len("openalpr-") + 40


def test_the_same_record_is_the_same_hit_and_a_group_is_its_best_frame() -> None:
    frame = alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="7")
    first, again = oa(frame), oa(copy.deepcopy(frame))
    assert first.hits[0]["hit_id"] == again.hits[0]["hit_id"]
    group = oa(alpr_group(OPENALPR_CAMERA, "苏A12345", uuid_tail="7"))
    assert group.hits[0]["hit_id"] == first.hits[0]["hit_id"]
    other = oa(alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="8"))
    assert other.hits[0]["hit_id"] != first.hits[0]["hit_id"]


def test_a_group_carries_the_vehicle_and_makes_the_camera_send_groups_only() -> None:
    preference = openalpr.GroupPreference()
    group = oa(alpr_group(OPENALPR_CAMERA, "苏E77777", uuid_tail="2"), preference)
    (hit,) = group.hits
    assert (hit["vehicle_type"], hit["vehicle_colour"]) == ("car", "silver-gray")
    assert hit["plate_confidence"] == pytest.approx(0.934)
    later = oa(alpr_results(OPENALPR_CAMERA, "苏E77778", uuid_tail="3"), preference)
    assert later.hits == [] and later.skipped == 1 and not later.defects
    assert not preference.sends_groups(OPENALPR_CAMERA.key, NOW_S + openalpr.GROUP_MEMORY_S)


def test_every_defect_of_a_broken_frame_is_named_and_nothing_is_mapped() -> None:
    frame = alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="1")
    frame.update(epoch_time="yesterday", uuid=None)
    frame["results"].append({"plate": "X" * 40, "confidence": 140})
    mapped = oa(frame)
    assert mapped.hits == []
    text = " | ".join(mapped.defects)
    for part in (
        "epoch_time: must be a number",
        "uuid: is required",
        "results[1].plate",
        "results[1].confidence",
    ):
        assert part in text, text


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"camera_id": 5}, "not registered"),
        ({"agent_uid": "replaced-box"}, "registered for agent"),
        ({"epoch_time": 1_796_200_000}, "epoch milliseconds"),  # seconds, not ms
        ({"data_type": "alpr_plate"}, "must be one of"),
    ],
)
def test_a_frame_from_the_wrong_camera_or_with_a_unit_mixup_is_refused(
    change: dict[str, Any], says: str
) -> None:
    frame = {**alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="1"), **change}
    mapped = oa(frame)
    assert mapped.hits == [] and any(says in d for d in mapped.defects), mapped.defects


@pytest.mark.parametrize("record", [None, [], "text", 7, {"data_type": None}])
def test_what_is_no_record_is_a_defect_not_a_crash(record: Any) -> None:
    assert oa(record).defects


def test_a_heartbeat_reports_registered_cameras_and_names_the_others() -> None:
    mapped = oa(heartbeat(OPENALPR_CAMERA, streaming=False))
    assert [(s.camera.key, s.streaming) for s in mapped.statuses] == [(OPENALPR_CAMERA.key, False)]
    assert mapped.unregistered == ["99"] and mapped.hits == []
    assert mapped.statuses[0].value()["checkpoint_id"] == "EC-0001"


def test_a_camera_registered_without_a_site_is_found_from_any_site() -> None:
    cameras = CameraRegistry()
    anywhere = OPENALPR_CAMERA.__class__("openalpr", "77", "EC-0009", 1, "unknown")
    cameras.apply(anywhere.key, anywhere)
    assert cameras.find("openalpr", "77", site_id="a-site", agent_uid="x") == anywhere
    cameras.apply(anywhere.key, None)
    with pytest.raises(LookupError):
        cameras.find("openalpr", "77", site_id=None, agent_uid=None)


def test_a_plate_recognizer_webhook_becomes_a_hit_upper_cased_with_its_zone() -> None:
    mapped = platerecognizer.map_webhook(
        pr_webhook(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp="2026-12-02T09:14:03.123456Z"),
        registry(),
        gateway_id="gw-1",
    )
    assert not mapped.defects
    (hit,) = mapped.hits
    assert hit["plate_text"] == "苏K66666" and hit["plate_confidence"] == pytest.approx(0.902)
    assert hit["event_time"] == "2026-12-02T09:14:03.123Z"
    assert (hit["checkpoint_id"], hit["direction"], hit["vehicle_type"]) == ("EC-0002", "outbound", "car")
    assert hit["candidates"] == [{"text": "苏K1234S", "confidence": 0.751}]
    assert hit["vehicle_colour"] == "black" and hit["plate_region"] == "cn"


def test_plate_recognizer_prefers_the_camera_s_own_time_and_keeps_its_offset() -> None:
    webhook = pr_webhook(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp="2026-12-02T09:14:03Z")
    webhook["data"]["timestamp_camera"] = "2026-12-02 17:14:02.5+08:00"
    (hit,) = platerecognizer.map_webhook(webhook, registry(), gateway_id="gw-1").hits
    assert hit["event_time"] == "2026-12-02T17:14:02.500+08:00"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"timestamp": "2026-12-02 09:14:03"}, "with its zone"),
        ({"camera_id": "somewhere-else"}, "not registered"),
        ({"results": [{"plate": "苏K66666", "score": 90.2}]}, "results[0].score"),
        ({"results": "none"}, "must be an array"),
    ],
)
def test_a_bad_webhook_is_refused_with_the_field(change: dict[str, Any], says: str) -> None:
    webhook = pr_webhook(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp="2026-12-02T09:14:03Z")
    webhook["data"].update(change)
    mapped = platerecognizer.map_webhook(webhook, registry(), gateway_id="gw-1")
    assert mapped.hits == [] and any(says in d for d in mapped.defects), mapped.defects


def test_a_webhook_of_another_event_is_skipped() -> None:
    webhook = pr_webhook(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp="2026-12-02T09:14:03Z")
    webhook["hook"]["event"] = "image.done"
    mapped = platerecognizer.map_webhook(webhook, registry(), gateway_id="gw-1")
    assert mapped.hits == [] and mapped.skipped == 1 and not mapped.defects


# What real installations send besides the documented happy path (Rekor agent samples, Stream webhooks).


def test_a_rekor_agent_sends_no_site_and_its_camera_is_found_at_the_site_it_was_registered_at() -> None:
    record = alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="rekor")
    del record["site_id"]  # Rekor / Watchman agents do not send it
    mapped = oa(record)
    assert not mapped.defects and mapped.hits[0]["checkpoint_id"] == "EC-0001"
    beat = heartbeat(OPENALPR_CAMERA, streaming=False)
    del beat["site_id"]
    assert oa(beat).statuses[0].camera == OPENALPR_CAMERA


def test_two_sites_camera_1_without_a_site_is_told_apart_by_its_agent_or_refused() -> None:
    cameras = CameraRegistry()
    east = OPENALPR_CAMERA.__class__("openalpr", "1", "EC-0001", 1, "inbound", "east", "agent-e")
    west = OPENALPR_CAMERA.__class__("openalpr", "1", "EC-0002", 1, "inbound", "west", None)
    for camera in (east, west):
        cameras.apply(camera.key, camera)
    assert cameras.find("openalpr", "1", site_id=None, agent_uid="agent-e") == east
    with pytest.raises(LookupError, match="several sites"):
        cameras.find("openalpr", "1", site_id=None, agent_uid="agent-w")
    cameras.apply(west.key, None)
    assert cameras.find("openalpr", "1", site_id=None, agent_uid="agent-e") == east
    with pytest.raises(LookupError, match="registered for agent 'agent-e'"):
        cameras.find("openalpr", "1", site_id=None, agent_uid="agent-x")


def test_an_empty_region_is_no_region_not_a_defect() -> None:
    frame = alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="noregion")
    frame["results"][0]["region"] = ""
    frame["results"][0]["region_confidence"] = 0
    mapped = oa(frame)
    assert not mapped.defects and "plate_region" not in mapped.hits[0]
    group = alpr_group(OPENALPR_CAMERA, "苏A12345", uuid_tail="noregion")
    group["best_region"] = ""
    assert not oa(group).defects
    webhook = pr_webhook(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp="2026-12-02T09:14:03Z")
    webhook["data"]["results"][0]["region"] = {"code": "", "score": 0}
    mapped = platerecognizer.map_webhook(webhook, registry(), gateway_id="gw-1")
    assert not mapped.defects and "plate_region" not in mapped.hits[0]


def test_stream_in_vehicle_mode_gives_the_plate_as_an_object_or_null() -> None:
    webhook = pr_webhook(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp="2026-12-02T09:14:03Z")
    first = webhook["data"]["results"][0]
    vehicle_mode = {
        **first,
        "plate": {
            "type": "Plate",
            "score": 0.93,
            "box": {"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4},
            "props": {
                "plate": [{"value": "苏k66666", "score": 0.88}, {"value": "苏k66668", "score": 0.4}],
                "region": [{"value": "cn", "score": 0.8}],
            },
        },
    }
    no_plate = {**first, "plate": None}
    webhook["data"]["results"] = [vehicle_mode, no_plate]
    mapped = platerecognizer.map_webhook(webhook, registry(), gateway_id="gw-1")
    assert not mapped.defects and mapped.skipped == 1
    (hit,) = mapped.hits
    assert (hit["plate_text"], hit["plate_confidence"], hit["plate_region"]) == ("苏K66666", 0.88, "cn")
    broken = {**first, "plate": {"type": "Plate", "props": {"plate": [{"value": 7}]}}}
    webhook["data"]["results"] = [broken]
    defects = platerecognizer.map_webhook(webhook, registry(), gateway_id="gw-1").defects
    assert any("results[0].plate.props.plate[0].value" in d for d in defects), defects
    assert any("results[0].plate.props.plate[0].score: is required" in d for d in defects), defects


def test_a_camera_time_without_its_zone_falls_back_to_streams_utc_timestamp() -> None:
    webhook = pr_webhook(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp="2026-12-02T09:14:03Z")
    webhook["data"]["timestamp_camera"] = "2026-12-02 17:14:02.5"
    mapped = platerecognizer.map_webhook(webhook, registry(), gateway_id="gw-1")
    assert not mapped.defects and mapped.hits[0]["event_time"] == "2026-12-02T09:14:03.000Z"
