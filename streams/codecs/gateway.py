"""The gateway's topics as typed structures: the camera registry, the gateways' keys, the cameras' status.

Like streams/codecs/messages.py they mirror the JSON Schemas in schemas/ (tests/unit/test_contracts.py
proves they agree on every example), and `contract_defects` names every way a decoded object fails a
Struct, not only the first (msgspec stops at the first): a camera's integrator gets one 400 that lists
all of them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from streams.codecs.decoding import refusal
from streams.codecs.messages import RFC3339, Lane, Message, Version

CameraId = Annotated[str, Meta(pattern=r"\A[A-Za-z0-9._-]{1,64}\Z")]
Checkpoint = Annotated[str, Meta(pattern=r"\A[A-Za-z0-9._:-]{1,64}\Z")]


class CameraMessage(Message):
    schema_version: Version
    vendor: Literal["openalpr", "platerecognizer"]
    camera_id: CameraId
    checkpoint_id: Checkpoint
    lane: Lane
    direction: Literal["inbound", "outbound", "unknown"]
    site_id: CameraId | None = None
    agent_uid: CameraId | None = None


class GatewayKeyMessage(Message):
    schema_version: Version
    key_id: Annotated[str, Meta(pattern=r"\A[0-9a-f]{12}\Z")]
    gateway_id: CameraId
    sha256: Annotated[str, Meta(pattern=r"\A[0-9a-f]{64}\Z")]
    created_at: Annotated[str, Meta(pattern=RFC3339)]
    status: Literal["active", "revoked"]


class CameraStatusMessage(Message):
    schema_version: Version
    checkpoint_id: Checkpoint
    lane: Lane
    camera: Annotated[str, Meta(min_length=5, max_length=200)]
    streaming: bool
    reported_at: Annotated[str, Meta(pattern=RFC3339)]
    gateway_id: CameraId


GATEWAY_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "cameras.registry": msgspec.json.Decoder(CameraMessage),
    "gateway.keys": msgspec.json.Decoder(GatewayKeyMessage),
    "cameras.status": msgspec.json.Decoder(CameraStatusMessage),
}


def contract_defects(kind: type[msgspec.Struct], value: object, where: str = "") -> list[str]:
    """Every field of `value` (decoded JSON) that `kind` refuses, each as `where: reason`; [] when
    `value` is one. Fields are judged one at a time with the Struct's own types and bounds, so the list is
    exactly what decoding would refuse, all of it."""
    prefix = f"{where}: " if where else ""
    if not isinstance(value, dict):
        return [f"{prefix}{refusal(_first_error(kind, value)).detail}"]
    fields = {field.encode_name: field for field in msgspec.structs.fields(kind)}
    defects: list[str] = []
    for name in value:
        if name not in fields:
            defects.append(f"{prefix}field '{name}' is not part of the schema")
    for name, field in fields.items():
        if name not in value:
            if field.required:
                defects.append(f"{prefix}field '{name}' is required")
            continue
        try:
            msgspec.convert(value[name], field.type, strict=True)
        except msgspec.ValidationError as error:
            text = str(error)
            located = text.replace(" - at `$", f" - at `$.{name}", 1) if " - at `$" in text else None
            detail = refusal(located or f"{text} - at `$.{name}`").detail
            defects.append(f"{prefix}{detail}")
    return defects


def _first_error(kind: type[msgspec.Struct], value: object) -> str:
    try:
        msgspec.convert(value, kind, strict=True)
    except msgspec.ValidationError as error:
        return str(error)
    return "not an object"
