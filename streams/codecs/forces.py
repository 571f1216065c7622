"""The forces' topics as typed structures: the unit registry (`units.registry`).

Like streams/codecs/gateway.py they mirror the JSON Schemas in schemas/ (tests/unit/test_contracts.py proves
they agree on every example).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from streams.codecs.messages import Identifier64, Message, Version

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
