"""The gateway's intake without a broker: canonical posts checked as the worker checks hits, each defect
named, gateway_id stamped; vendor hits checked against the same contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from streams.domain.gateway.cameras import CameraRegistry
from streams.domain.matching.hits import HitLimits
from streams.gateway.intake import BadBody, Intake
from streams.settings import Settings
from tests.gateway import OPENALPR_CAMERA
from tests.unit.fixtures import hit_message
from tests.vendor_payloads import alpr_results


def intake() -> Intake:
    return Intake(Settings(gateway_max_batch=5), frozenset({"EC-0001", "EC-0003", "YZ-EC-0001"}), HitLimits())


def hit(hit_id: str, **changes: object) -> dict[str, object]:
    found = hit_message(
        **{
            "hit_id": hit_id,
            "event_time": datetime.now(UTC).isoformat(),
            "checkpoint_id": "EC-0003",
            **changes,
        }
    )
    found.pop("gateway_id", None)
    return found


def test_an_ndjson_post_is_stamped_with_the_key_s_gateway() -> None:
    body = b"\n".join(orjson.dumps(hit(f"h{n}")) for n in range(3)) + b"\n\n"
    mapped = intake().canonical(body, "application/x-ndjson", "east", datetime.now(UTC))
    assert not mapped.defects and [h["gateway_id"] for h in mapped.hits] == ["east"] * 3
    records = intake().records(mapped)
    assert [r.key for r in records] == [b"EC-0003"] * 3 and records[0].hit_id == "h0"


def test_each_line_s_defects_are_named_with_its_line_and_nothing_is_kept() -> None:
    lines = [
        orjson.dumps(hit("ok")),
        b"{not json",
        orjson.dumps(hit("bad", lane=0, plate_confidence=3)),
        orjson.dumps(hit("far", event_time=(datetime.now(UTC) + timedelta(hours=2)).isoformat())),
        orjson.dumps(hit("nowhere", checkpoint_id="XX-1")),
        orjson.dumps({**hit("other"), "gateway_id": "west"}),
    ]
    mapped = Intake(Settings(), frozenset({"EC-0003"}), HitLimits()).canonical(
        b"\n".join(lines), "application/x-ndjson", "east", datetime.now(UTC)
    )
    assert mapped.hits == []
    text = "\n".join(mapped.defects)
    expected = ["line 2: not valid JSON", "line 3: field 'lane'", "line 3: field 'plate_confidence'"]
    expected += ["line 4: event_time is", "line 5: checkpoint_id 'XX-1'", "line 6: gateway_id 'west'"]
    for part in expected:
        assert part in text, text


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (b"", "application/json", "no hit"),
        (b"{}\n{}", "application/json", "application/x-ndjson"),
        (b"\n".join([b"{}"] * 6), "application/x-ndjson", "at most 5"),
    ],
)
def test_a_body_that_is_no_post_is_refused(body: bytes, content_type: str, says: str) -> None:
    with pytest.raises(BadBody, match=says):
        intake().canonical(body, content_type, "east", datetime.now(UTC))


def test_a_vendor_hit_is_held_to_the_contract_too() -> None:
    cameras = CameraRegistry()
    cameras.apply(OPENALPR_CAMERA.key, OPENALPR_CAMERA)
    frame = alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="1")
    assert intake().openalpr(orjson.dumps(frame), cameras, "east", datetime.now(UTC)).hits
    stale = {**frame, "epoch_time": int((datetime.now(UTC) - timedelta(days=45)).timestamp() * 1000)}
    mapped = intake().openalpr(orjson.dumps(stale), cameras, "east", datetime.now(UTC))
    assert mapped.hits == [] and "hit 0: event_time is" in mapped.defects[0]
    batch = intake().openalpr(
        orjson.dumps([frame, {"data_type": "nope"}]), cameras, "east", datetime.now(UTC)
    )
    assert batch.hits == [] and batch.defects[0].startswith("[1].data_type")
