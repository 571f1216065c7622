"""Gateway keys (digests only, constant-time check, revocation) and camera import rows."""

from __future__ import annotations

import pytest

from streams.domain.gateway.cameras import camera_key, check_camera_row
from streams.domain.gateway.keys import GatewayKey, KeyBook, digest, key_id_of, make_key

KEY = make_key("0123456789ab", bytes(range(32)))


def book(status: str = "active") -> KeyBook:
    found = KeyBook()
    found.apply(
        "0123456789ab", GatewayKey("0123456789ab", "east", digest(KEY), "2026-12-02T00:00:00Z", status)
    )
    return found


def test_a_key_is_its_id_and_a_secret_and_only_its_digest_is_kept() -> None:
    assert KEY.startswith("cgk_0123456789ab_") and len(KEY) == len("cgk_0123456789ab_") + 43
    assert key_id_of(KEY) == "0123456789ab" and KEY not in book().keys["0123456789ab"].value().values()


@pytest.mark.parametrize(
    "presented",
    [
        KEY[:-1] + ("A" if KEY[-1] != "A" else "B"),
        "cgk_ffffffffffff_" + KEY[-43:],
        "",
        "Bearer " + KEY,
        KEY + "x",
    ],
)
def test_a_wrong_unknown_or_malformed_key_authenticates_nobody(presented: str) -> None:
    assert book().authenticate(presented) is None


def test_the_right_key_authenticates_its_gateway_until_revoked_or_removed() -> None:
    keys = book()
    found = keys.authenticate(KEY)
    assert found is not None and found.gateway_id == "east"
    assert book("revoked").authenticate(KEY) is None
    keys.apply("0123456789ab", None)
    assert keys.authenticate(KEY) is None


def test_make_key_refuses_a_short_secret() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        make_key("0123456789ab", b"short")


ROW = {
    "vendor": "OpenALPR",
    "camera_id": "1629375201",
    "site_id": "yz-east",
    "agent_uid": "",
    "checkpoint_id": "EC-0001",
    "lane": "2",
    "direction": "Inbound",
}


def test_a_good_row_is_a_camera_keyed_by_vendor_site_and_id() -> None:
    camera, problem = check_camera_row(ROW, {"EC-0001"})
    assert camera is not None and not problem
    assert camera.key == camera_key("openalpr", "yz-east", "1629375201") == "openalpr:yz-east:1629375201"
    assert camera.agent_uid is None and camera.direction == "inbound"


def test_every_problem_of_a_row_is_named() -> None:
    bad = {
        **ROW,
        "vendor": "hikvision",
        "camera_id": "a:b",
        "checkpoint_id": "EC-9999",
        "lane": "17",
        "direction": "up",
    }
    camera, problem = check_camera_row(bad, {"EC-0001"})
    assert camera is None
    for part in ("vendor", "camera_id", "lane", "direction"):
        assert part in problem, problem
    _, unknown = check_camera_row({**ROW, "checkpoint_id": "EC-9999"}, {"EC-0001"})
    assert "not a checkpoint of the topology" in unknown
