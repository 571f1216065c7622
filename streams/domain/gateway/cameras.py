"""The camera registry (`cameras.registry`, compacted, key: the camera's key) folded into state.

A vendor's record names its camera by the vendor's own ids: OpenALPR by `camera_id` (a number) with the
agent (`agent_uid`) and site (`site_id`) that sent it, Plate Recognizer Stream by the `camera_id` string of
its configuration. The registry says which checkpoint, lane and direction each camera is, because
`anpr.hits` is keyed and judged by checkpoint and a camera knows nothing of the city's checkpoints.

The key is `vendor:site:camera` with `*` for a camera registered without a site: camera ids are unique per
agent or site, not per city, so two sites may both have a camera 1. A read is looked up at its own site
first, then at `*`. An entry may also pin the agent: a read of that camera from another agent is refused
(a re-imaged or moved box shows up as a refusal, not as hits at the wrong checkpoint).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from streams.domain.exceptions import InvalidInput

VENDORS = ("openalpr", "platerecognizer")
DIRECTIONS = ("inbound", "outbound", "unknown")
ANY_SITE = "*"
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class Unregistered(LookupError):
    """A read from a camera the registry does not know (or knows at another agent); says which."""


def camera_key(vendor: str, site_id: str | None, camera_id: str) -> str:
    """The registry key of a camera: `openalpr:site-7:1234`, `platerecognizer:*:gate-east-2`."""
    return f"{vendor}:{site_id or ANY_SITE}:{camera_id}"


class CameraFields(Protocol):
    """A `cameras.registry` message as decoded (schema-checked)."""

    @property
    def vendor(self) -> str: ...
    @property
    def camera_id(self) -> str: ...
    @property
    def site_id(self) -> str | None: ...
    @property
    def agent_uid(self) -> str | None: ...
    @property
    def checkpoint_id(self) -> str: ...
    @property
    def lane(self) -> float: ...
    @property
    def direction(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Camera:
    vendor: str
    camera_id: str
    checkpoint_id: str
    lane: int
    direction: str
    site_id: str | None = None
    agent_uid: str | None = None

    @property
    def key(self) -> str:
        return camera_key(self.vendor, self.site_id, self.camera_id)

    def value(self) -> dict[str, object]:
        """The `cameras.registry` message of this camera."""
        found: dict[str, object] = {
            "schema_version": 1,
            "vendor": self.vendor,
            "camera_id": self.camera_id,
            "checkpoint_id": self.checkpoint_id,
            "lane": self.lane,
            "direction": self.direction,
        }
        if self.site_id:
            found["site_id"] = self.site_id
        if self.agent_uid:
            found["agent_uid"] = self.agent_uid
        return found


def camera_from(message: CameraFields, key: str | None) -> Camera:
    """The camera a registry message describes; `InvalidInput` (key_mismatch) when the record's key is
    not the camera's key, so one camera's record can never shadow another's."""
    camera = Camera(
        vendor=message.vendor,
        camera_id=message.camera_id,
        checkpoint_id=message.checkpoint_id,
        lane=int(message.lane),
        direction=message.direction,
        site_id=message.site_id,
        agent_uid=message.agent_uid,
    )
    if key != camera.key:
        raise InvalidInput("key_mismatch", f"message key {key!r} is not the camera's key {camera.key!r}")
    return camera


def check_camera_row(row: Mapping[str, str], known_checkpoint: set[str] | None) -> tuple[Camera | None, str]:
    """A camera from one row of an import file (columns vendor, camera_id, site_id, agent_uid,
    checkpoint_id, lane, direction); (None, every defect) when the row cannot be one."""
    defects: list[str] = []

    def text(name: str, *, required: bool) -> str | None:
        value = (row.get(name) or "").strip()
        if not value:
            if required:
                defects.append(f"{name} is required")
            return None
        if not _ID.fullmatch(value):
            defects.append(f"{name} {value[:40]!r} must be 1..64 of A-Z a-z 0-9 . _ -")
            return None
        return value

    vendor = (row.get("vendor") or "").strip().lower()
    if vendor not in VENDORS:
        defects.append(f"vendor {vendor[:40]!r} is not one of {', '.join(VENDORS)}")
    camera_id = text("camera_id", required=True)
    site_id = text("site_id", required=False)
    agent_uid = text("agent_uid", required=False)
    checkpoint_id = text("checkpoint_id", required=True)
    if checkpoint_id and known_checkpoint is not None and checkpoint_id not in known_checkpoint:
        defects.append(f"checkpoint_id {checkpoint_id!r} is not a checkpoint of the topology")
    lane_text = (row.get("lane") or "1").strip()
    lane = int(lane_text) if lane_text.isascii() and lane_text.isdigit() else 0
    if not 1 <= lane <= 16:
        defects.append(f"lane {lane_text[:10]!r} must be a whole number 1..16")
    direction = (row.get("direction") or "unknown").strip().lower()
    if direction not in DIRECTIONS:
        defects.append(f"direction {direction[:20]!r} is not one of {', '.join(DIRECTIONS)}")
    if defects or camera_id is None or checkpoint_id is None:
        return None, "; ".join(defects)
    return Camera(vendor, camera_id, checkpoint_id, lane, direction, site_id, agent_uid), ""


@dataclass(slots=True)
class CameraRegistry:
    """The registry as the gateway follows it: the last record per key."""

    cameras: dict[str, Camera] = field(default_factory=dict)
    # (vendor, camera id) → key → camera: the reads that name no site look here (a dict lookup, not a scan)
    _by_id: dict[tuple[str, str], dict[str, Camera]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for key, camera in self.cameras.items():
            self._by_id.setdefault((camera.vendor, camera.camera_id), {})[key] = camera

    def __len__(self) -> int:
        return len(self.cameras)

    def __iter__(self) -> Iterator[Camera]:
        return iter(self.cameras.values())

    def apply(self, key: str, camera: Camera | None) -> None:
        """One record of the topic: a camera (registered or changed) or a tombstone (removed)."""
        old = self.cameras.pop(key, None)
        if old is not None:
            same = self._by_id.get((old.vendor, old.camera_id), {})
            same.pop(key, None)
            if not same:
                self._by_id.pop((old.vendor, old.camera_id), None)
        if camera is not None:
            self.cameras[key] = camera
            self._by_id.setdefault((camera.vendor, camera.camera_id), {})[key] = camera

    def find(self, vendor: str, camera_id: str, *, site_id: str | None, agent_uid: str | None) -> Camera:
        """The camera a read came from; `Unregistered` saying why none is.

        A read that names its site is looked up at that site, then at `*`. Rekor / OpenALPR agents send no
        `site_id` at all, so a read without one is looked up at `*`, then among the cameras of that id at
        any site: the one pinned to the read's agent, else the only one there is. Two sites' camera 1 with
        nothing to tell them apart is refused (register them pinned to their agents)."""
        found = None
        if site_id:
            found = self.cameras.get(camera_key(vendor, site_id, camera_id))
        if found is None:
            found = self.cameras.get(camera_key(vendor, None, camera_id))
        where = f" at site {site_id!r}" if site_id else ""
        if found is None and not site_id:
            found = self._by_agent(vendor, camera_id, agent_uid)
        if found is None:
            raise Unregistered(
                f"camera {camera_id!r} of {vendor}{where} is not registered: add it to the camera "
                "registry with `citygate cameras import`"
            )
        if found.agent_uid and agent_uid != found.agent_uid:
            raise Unregistered(
                f"camera {camera_id!r} of {vendor}{where} is registered for agent {found.agent_uid!r}, "
                f"not {agent_uid!r}: re-register it if the agent was replaced"
            )
        return found

    def _by_agent(self, vendor: str, camera_id: str, agent_uid: str | None) -> Camera | None:
        same = list(self._by_id.get((vendor, camera_id), {}).values())
        pinned = [c for c in same if agent_uid and c.agent_uid == agent_uid]
        if len(pinned) == 1:
            return pinned[0]
        if len(same) == 1:
            return same[0]  # its agent pin, if any, is checked by the caller
        if same:
            sites = ", ".join(sorted(str(c.site_id) for c in same))
            raise Unregistered(
                f"camera {camera_id!r} of {vendor} is registered at several sites ({sites}) and the read "
                "names no site_id: pin each to its agent_uid in the camera registry"
            )
        return None
