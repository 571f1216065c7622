"""The alert topics as typed structures, for the consumers that read them back: the command side (the alert
book, sightings of followed vehicles) and every worker's follower (open alerts after a takeover).

Only the worker writes these topics (the ACLs see to it), but what is read back is still input: a record
that is not an alert of schemas/alerts.schema.json is refused like any other, and has no effect.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from streams.codecs.messages import IDENTIFIER, Lane, Priority, Time, Version

Identifier64 = Annotated[str, Meta(min_length=1, max_length=64, pattern=IDENTIFIER)]
Character = Annotated[str, Meta(min_length=1, max_length=1)]
Whole = Annotated[float, Meta(ge=0, multiple_of=1)]


class _Closed(Struct, forbid_unknown_fields=True):
    """Objects of the alerts schema: exactly its fields."""


class Difference(_Closed):
    position: Annotated[float, Meta(ge=0, le=15, multiple_of=1)]
    read: Character
    listed: Character


class MatchDetail(_Closed):
    entry_id: Identifier64
    category: Literal["stolen", "wanted", "incident", "lookout", "fake_plate", "other"]
    match_type: Literal["exact", "candidate", "ocr_equivalent"]
    listed_plate: Annotated[str, Meta(min_length=1, max_length=16)]
    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    source_agency: Annotated[str, Meta(min_length=1, max_length=100)]
    instructions: Annotated[str, Meta(max_length=1000)] | None
    priority: Priority
    matched_text: Annotated[str, Meta(min_length=1, max_length=16)]
    differences: Annotated[list[Difference], Meta(max_length=16)]


class Summary(_Closed):
    zh: Annotated[str, Meta(min_length=1)]
    en: Annotated[str, Meta(min_length=1)]


class AlertRef(_Closed):
    topic: Annotated[str, Meta(min_length=1, max_length=249, pattern=r"\A[A-Za-z0-9._-]+\Z")]
    id: Annotated[str, Meta(min_length=1)]
    partition: Whole = None  # type: ignore[assignment]
    offset: Whole = None  # type: ignore[assignment]


class AlertSightings(_Closed):
    count: Annotated[float, Meta(ge=1, multiple_of=1)]
    first_seen: Time
    last_seen: Time
    lanes: Annotated[list[Lane], Meta(max_length=16)]


class Review(_Closed):
    decision: Literal["accepted", "rejected"]
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
        ]
        | None
    )
    operator_id: Annotated[str, Meta(min_length=1, max_length=100)]
    at: Time
    command_id: Identifier64
    note: Annotated[str, Meta(max_length=500)] | None


class InterceptPoint(_Closed):
    point_id: Identifier64
    distance_m: Annotated[float, Meta(ge=0)]
    earliest: Time
    latest: Time


class Intercept(_Closed):
    bearing_deg: Annotated[float, Meta(ge=0, le=360)]
    speed_mps: Annotated[float, Meta(ge=0)]
    points: Annotated[list[InterceptPoint], Meta(min_length=1, max_length=20)]


class Dispatch(_Closed):
    workstation: Identifier64 | None
    units: Annotated[list[Identifier64], Meta(max_length=20)]


class AlertMessage(_Closed):
    schema_version: Version
    alert_id: Annotated[str, Meta(pattern=r"\Aal-[0-9a-f]{24}\Z")]
    kind: Literal["watchlist_match", "retro_match", "intercept_ahead", "ring_breach", "lookout_sighting"]
    priority: Priority
    state: Literal["new", "updated", "accepted", "rejected"]
    created_at: Time
    event_time: Time
    incident_id: Annotated[str, Meta(min_length=1, max_length=64)] | None
    plate: Annotated[str, Meta(min_length=1, max_length=16)] | None
    plate_raw: Annotated[str, Meta(min_length=1, max_length=16)] | None
    checkpoint_id: Identifier64 | None
    ring: Literal["core", "urban", "city"] | None
    lane: Lane | None
    direction: Literal["inbound", "outbound", "unknown"] | None
    match: MatchDetail | None
    summary: Summary
    actions: Annotated[list[Annotated[str, Meta(min_length=1)]], Meta(max_length=10)]
    refs: Annotated[list[AlertRef], Meta(min_length=1, max_length=20)]
    sightings: AlertSightings | None
    review: Review | None
    intercept: Intercept | None
    dispatch: Dispatch | None
