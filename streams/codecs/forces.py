"""The forces' topics as typed structures: the unit registry (`units.registry`).

Like streams/codecs/gateway.py they mirror the JSON Schemas in schemas/ (tests/unit/test_contracts.py proves
they agree on every example).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from streams.codecs.messages import Identifier64, Message, Time, Version

Capability = Literal["armed", "vehicle", "foot"]


class UnitMessage(Message):
    schema_version: Version
    unit_id: Annotated[str, Meta(pattern=r"\A[A-Za-z0-9._:-]{1,64}\Z")]
    kind: Literal["motor_patrol", "workstation_unit", "community_police", "security_guard"]
    home_workstation: Identifier64
    capabilities: Annotated[list[Capability], Meta(min_length=1, max_length=3)]
    status: Literal["active", "retired"]
    name: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    radio_id: Annotated[str, Meta(pattern=r"\A[A-Za-z0-9._:-]{1,32}\Z")] | None = None

    def __post_init__(self) -> None:
        # JSON Schema's uniqueItems, which msgspec cannot say in a type (raised here, it is a
        # ValidationError like any other).
        if len(set(self.capabilities)) != len(self.capabilities):
            raise ValueError("capabilities lists one capability twice")


FORCES_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "units.registry": msgspec.json.Decoder(UnitMessage),
}


class PlaceMessage(Message):
    lon: Annotated[float, Meta(ge=-180.0, le=180.0)]
    lat: Annotated[float, Meta(ge=-90.0, le=90.0)]


class TaskMessage(Message):
    dispatch_id: Identifier64
    place: PlaceMessage
    dispatched_at: Time
    incident_id: Identifier64 | None
    point_id: Identifier64 | None
    arrived_at: Time | None


class UnitStateMessage(Message):
    schema_version: Version
    unit_id: Annotated[str, Meta(pattern=r"\A[A-Za-z0-9._:-]{1,64}\Z")]
    status: Literal["available", "dispatched", "en_route", "on_scene", "off_duty"]
    position: PlaceMessage | None
    position_at: Time | None
    position_stale: bool
    task: TaskMessage | None
    updated_at: Time


FORCES_DECODERS["units.state"] = msgspec.json.Decoder(UnitStateMessage)
