"""The input messages as typed structures: every field's type and bounds, decoded and checked in one pass.

These Structs mirror the JSON Schemas in schemas/ (tests/unit/test_contracts.py proves the two agree on
every example); what a schema cannot say (plate grammar, times relative to now, the key, rules between
fields) is the domain's (streams/domain/). A field that may be absent but not null has a `None` default
with a non-optional type: msgspec then refuses an explicit null, as the schemas do.

Times stay strings here, checked against the schemas' one canonical RFC 3339 spelling: msgspec's own
datetime decoding also takes a space for the `T`, lower-case `t` and `z` and `-00:00`, which the contract
refuses. The domain turns them into datetimes and bounds them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

# \A and \Z, not ^ and $: msgspec searches with Python's re, whose $ also matches before a final newline.
IDENTIFIER = r"\A[A-Za-z0-9._:-]+\Z"
# The schemas' dateTime pattern (real calendar dates, no leap second, no -00:00), anchored with \A and \Z;
# tests/unit/test_contracts.py checks it is the schema's.
RFC3339 = (
    r"\A(?:(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]"
    r"|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,9})?(?:Z|\+(?:[01][0-9]|2[0-3]):[0-5][0-9]|-(?:00:(?:0[1-9]|[1-5][0-9])|(?:0[1-9]|1[0-9]"
    r"|2[0-3]):[0-5][0-9]))\Z"
)


# Integer fields: a JSON number with no fraction, `2.0` included (JSON Schema counts it as 2). msgspec's int
# refuses 2.0, so these are floats that are a multiple of 1; the domain reads them with int().
Version = Annotated[float, Meta(ge=1, le=1, multiple_of=1)]
Lane = Annotated[float, Meta(ge=1, le=16, multiple_of=1)]
Priority = Annotated[float, Meta(ge=1, le=3, multiple_of=1)]
Persons = Annotated[float, Meta(ge=0, le=100, multiple_of=1)]
Time = Annotated[str, Meta(pattern=RFC3339)]
Identifier64 = Annotated[str, Meta(min_length=1, max_length=64, pattern=IDENTIFIER)]
Confidence = Annotated[float, Meta(ge=0.0, le=1.0)]
PlateText = Annotated[str, Meta(min_length=1, max_length=16)]
Lon = Annotated[float, Meta(ge=-180.0, le=180.0)]
Lat = Annotated[float, Meta(ge=-90.0, le=90.0)]


class Message(Struct, forbid_unknown_fields=True):
    """Every input message: an object with exactly the schema's fields."""


class SignatureMessage(Message):
    """The `signature` object of a signed record (streams/domain/identity/signatures.py)."""

    signer: Identifier64
    signed_at: Time
    nonce: Annotated[str, Meta(pattern=r"\A[A-Za-z0-9_-]{16,64}\Z")]
    ed25519: Annotated[str, Meta(pattern=r"\A[A-Za-z0-9+/]{86}==\Z")]


# --------------------------------------------------------------------------------------------- anpr.hits


class CandidateMessage(Message):
    text: PlateText
    confidence: Confidence


class HitMessage(Message):
    schema_version: Version
    hit_id: Annotated[str, Meta(min_length=1, max_length=128, pattern=IDENTIFIER)]
    checkpoint_id: Identifier64
    lane: Lane
    direction: Literal["inbound", "outbound", "unknown"]
    event_time: Time
    plate_text: PlateText
    plate_confidence: Confidence
    plate_colour: Literal["blue", "yellow", "green", "yellow_green", "white", "black", "unknown"]
    candidates: Annotated[list[CandidateMessage], Meta(max_length=10)] = []
    vehicle_type: Literal["car", "suv", "van", "bus", "truck", "motorcycle", "taxi", "other", "unknown"] = (
        None  # type: ignore[assignment]
    )
    vehicle_colour: Annotated[str, Meta(min_length=1, max_length=32)] = None  # type: ignore[assignment]
    image_refs: Annotated[list[Annotated[str, Meta(min_length=1, max_length=512)]], Meta(max_length=8)] = []
    gateway_id: Annotated[str, Meta(min_length=1, max_length=64)] = None  # type: ignore[assignment]
    plate_region: Annotated[str, Meta(min_length=1, max_length=16)] = None  # type: ignore[assignment]


# ------------------------------------------------------------------------------------- watchlist.entries


class EntryMessage(Message):
    schema_version: Version
    entry_id: Identifier64
    plate: PlateText
    category: Literal["stolen", "wanted", "incident", "lookout", "fake_plate", "other"]
    priority: Priority
    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    source_agency: Annotated[str, Meta(min_length=1, max_length=100)]
    added_by: Annotated[str, Meta(min_length=1, max_length=100)]
    valid_from: Time
    valid_until: Time | None
    covert: bool
    incident_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    instructions: Annotated[str, Meta(max_length=1000)] | None = None
    signature: SignatureMessage = None  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------- calls.110


class CallPlace(Message):
    lon: Lon
    lat: Lat
    address: Annotated[str, Meta(max_length=200)]


class CallVehicle(Message):
    plate: PlateText | None = None
    colour: Annotated[str, Meta(min_length=1, max_length=32)] | None = None
    type: (
        Literal["car", "suv", "van", "bus", "truck", "motorcycle", "taxi", "e_bike", "other", "unknown"]
        | None
    ) = None


class CallMessage(Message):
    schema_version: Version
    call_id: Identifier64
    received_at: Time
    place: CallPlace
    category: Literal[
        "armed_robbery",
        "robbery",
        "kidnapping",
        "homicide",
        "hit_and_run",
        "assault",
        "burglary",
        "theft",
        "vehicle_tampering",
        "self_harm",
        "suspicious_activity",
        "fraud",
        "traffic_accident",
        "dispute",
        "other",
    ]
    suspects: Persons
    armed: bool
    flight_mode: Literal["foot", "vehicle", "unknown"]
    occurred_at: Time | None = None
    direction: (
        Literal["north", "north_east", "east", "south_east", "south", "south_west", "west", "north_west"]
        | None
    ) = None
    vehicle: CallVehicle | None = None
    caller_notes: Annotated[str, Meta(max_length=2000)] | None = None


# ---------------------------------------------------------------------------------------- patrol.reports


class ReportPlace(Message):
    lon: Lon
    lat: Lat
    address: Annotated[str, Meta(max_length=200)] | None = None


class ReportMessage(Message):
    schema_version: Version
    report_id: Identifier64
    unit_id: Identifier64
    unit_kind: Literal["patrol_car", "motorcycle", "foot", "mounted", "workstation", "security_guard"]
    kind: Literal["sighting", "suspicious_activity", "arrived_at_point", "suspect_captured", "position"]
    at: Time
    place: ReportPlace | None = None
    point_id: Identifier64 | None = None
    incident_id: Identifier64 | None = None
    count: Persons | None = None
    plate: PlateText | None = None
    text: Annotated[str, Meta(max_length=2000)] | None = None


# ------------------------------------------------------------------------------------- operator.commands


class CommandMessage(Message):
    schema_version: Version
    command_id: Identifier64
    command: Literal["accept_hit", "reject_hit", "staff_point", "lift_lockdown", "dispatch", "release_unit"]
    target_id: Identifier64
    operator_id: Annotated[str, Meta(min_length=1, max_length=100)]
    issued_at: Time
    reason_code: (
        Literal[
            "confirmed_visually",
            "vehicle_stopped",
            "misread",
            "not_the_vehicle",
            "already_handled",
            "entry_outdated",
            "duplicate",
            "other",
            "radio_confirmed",
            "situation_resolved",
            "false_alarm",
            "proposal",
            "operator_choice",
            "task_done",
            "called_off",
        ]
        | None
    ) = None
    note: Annotated[str, Meta(max_length=500)] | None = None
    units: Annotated[list[Identifier64], Meta(min_length=1, max_length=8)] | None = None
    signature: SignatureMessage = None  # type: ignore[assignment]


# ------------------------------------------------------------------------------------ operators.registry


class RegistryMessage(Message):
    schema_version: Version
    operator_id: Identifier64
    public_key: Annotated[str, Meta(pattern=r"\A[A-Za-z0-9+/]{43}=\Z")]
    roles: Annotated[
        list[Literal["operator", "commander", "watchlist_admin", "registry_admin", "incident_desk"]],
        Meta(min_length=1),
    ]
    status: Literal["active", "revoked"]
    signature: SignatureMessage


class ReadText(Struct):
    text: str = ""


class HitReadings(Struct):
    """Only what says whether a hit can match a few plates (a retro-match scan): the plate as read and the
    alternative readings. Other fields are skipped unread; a hit that can match is then decoded whole."""

    plate_text: str = ""
    candidates: list[ReadText] = []


READINGS = msgspec.json.Decoder(HitReadings)

DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "anpr.hits": msgspec.json.Decoder(HitMessage),
    "watchlist.entries": msgspec.json.Decoder(EntryMessage),
    "calls.110": msgspec.json.Decoder(CallMessage),
    "patrol.reports": msgspec.json.Decoder(ReportMessage),
    "operator.commands": msgspec.json.Decoder(CommandMessage),
    "operators.registry": msgspec.json.Decoder(RegistryMessage),
}
