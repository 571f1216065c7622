"""streams/worker/followers.py: what the cameras.status follower takes into checkpoint health, and what not.

The follower's Kafka side is exercised end to end in tests/integration/test_gateway.py; here each record
it can meet is folded in by hand, one at a time.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from aiokafka.structs import ConsumerRecord

from streams.settings import Settings
from streams.worker.followers import CameraStatusFollower, partition_of
from streams.worker.health import CameraStatuses
from tests.unit.fixtures import NOW

EXAMPLES = Path(__file__).parents[3] / "schemas" / "examples" / "cameras.status"
CAMERA = "openalpr:yangzhou-east:1629375201"


def record(key: bytes | None, value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("cameras.status", 0, 0, 0, 0, key, value, None, 0, 0, ())


def status(**changes: object) -> bytes:
    found = orjson.loads((EXAMPLES / "valid" / "not-streaming.json").read_bytes())
    found["reported_at"] = NOW.isoformat().replace("+00:00", "Z")
    return orjson.dumps({**found, **changes})


@pytest.fixture
def follower() -> CameraStatusFollower:
    found = CameraStatusFollower(Settings(), CameraStatuses())
    found._hits_partitions = 12  # what _open learns from the cluster
    return found


def test_a_dark_camera_is_taken_on_the_partition_of_its_checkpoints_hits(
    follower: CameraStatusFollower,
) -> None:
    assert follower.apply(record(CAMERA.encode(), status()), NOW)
    dark, cameras = follower.statuses.dark({partition_of("YZ-EC-0001", 12)}, NOW)
    assert cameras == 1 and set(dark) == {"YZ-EC-0001"}
    assert follower.apply(record(CAMERA.encode(), None), NOW)  # tombstone: the camera is gone
    assert len(follower.statuses) == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (None, status()),
        (b"\xff\xfe", status()),
        (b"openalpr:other:1", status()),  # the key is not the record's camera
        (CAMERA.encode(), b"{not json"),
        (CAMERA.encode(), (EXAMPLES / "invalid" / "streaming-as-text.json").read_bytes()),
        (CAMERA.encode(), status(extra=1)),
        (CAMERA.encode(), status(lane=99)),
        (CAMERA.encode(), b"[" * 100_000),
    ],
)
def test_records_that_are_not_statuses_change_nothing(
    follower: CameraStatusFollower, key: bytes | None, value: bytes
) -> None:
    assert not follower.apply(record(key, value), NOW)
    assert len(follower.statuses) == 0


def test_absurd_times_are_tamed(follower: CameraStatusFollower) -> None:
    for ancient in ("0001-01-01T00:00:00+08:00", "1970-01-01T00:00:00Z"):  # an agent long gone
        assert follower.apply(record(CAMERA.encode(), status(reported_at=ancient)), NOW)
        assert len(follower.statuses) == 0
    ahead = (NOW + timedelta(days=400)).isoformat().replace("+00:00", "Z")
    assert follower.apply(record(CAMERA.encode(), status(reported_at=ahead)), NOW)
    dark, _ = follower.statuses.dark({partition_of("YZ-EC-0001", 12)}, NOW)
    assert dark == {"YZ-EC-0001": NOW.timestamp()}


def test_partitions_are_kafkas_default_partitioners() -> None:
    # Values of the Java client's Utils.toPositive(Utils.murmur2(key)) % n for these keys.
    from aiokafka.partitioner import DefaultPartitioner

    for key in ("YZ-EC-0001", "EC-3160", "苏A", ""):
        expected = DefaultPartitioner()(key.encode(), list(range(12)), list(range(12)))
        assert partition_of(key, 12) == expected
