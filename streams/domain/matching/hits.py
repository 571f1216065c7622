"""ANPR hits: one plate read by one camera lane, checked and normalised.

`parse_hit` turns a decoded `anpr.hits` message into a `Hit` or raises `InvalidInput` saying why; it enforces
schemas/anpr.hits.schema.json plus what a schema cannot say (plate grammar, times relative to now).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.plates import (
    Plate,
    PlateFormatError,
    normalise_plate,
    parse_plate,
    repair_plate,
)

DIRECTIONS = frozenset({"inbound", "outbound", "unknown"})
PLATE_COLOURS = frozenset({"blue", "yellow", "green", "yellow_green", "white", "black", "unknown"})
VEHICLE_TYPES = frozenset({"car", "suv", "van", "bus", "truck", "motorcycle", "taxi", "other", "unknown"})

_REQUIRED = (
    "schema_version",
    "hit_id",
    "checkpoint_id",
    "lane",
    "direction",
    "event_time",
    "plate_text",
    "plate_confidence",
    "plate_colour",
)
_ALLOWED = frozenset(_REQUIRED) | {"candidates", "vehicle_type", "vehicle_colour", "image_refs", "gateway_id"}
_CANDIDATE_KEYS = ("text", "confidence")
MAX_CANDIDATES = 10
MAX_IMAGE_REFS = 8


@dataclass(frozen=True, slots=True)
class Candidate:
    """An alternative reading the OCR engine offered, with its confidence."""

    text: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Hit:
    hit_id: str
    checkpoint_id: str
    lane: int
    direction: str
    event_time: datetime
    plate: Plate
    plate_confidence: float
    plate_colour: str
    candidates: tuple[Candidate, ...] = ()
    vehicle_type: str | None = None
    vehicle_colour: str | None = None
    image_refs: tuple[str, ...] = ()
    gateway_id: str | None = None
    # The normalised text as read, when it failed the grammar only through confusable characters and
    # `plate` is its repair (`plates.repair_plate`): such a read matches only as OCR-equivalent.
    read_as: str | None = None
    # When the hit reached Kafka (the record's broker timestamp): decides whether live matching or the
    # retro-match of a new entry answers for it (streams/domain/matching/retro.py).
    arrived_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HitLimits:
    """How far from `now` an event time may be before it is absurd, and how many confusable characters a
    read may have repaired before it is no plate at all (the OCR-equivalence limit)."""

    max_age: timedelta = timedelta(days=30)
    max_skew: timedelta = timedelta(minutes=5)
    max_substitutions: int = 2


def parse_hit(
    obj: object,
    *,
    now: datetime,
    limits: HitLimits = HitLimits(),  # noqa: B008
    arrived_at: datetime | None = None,
) -> Hit:
    """Check a decoded `anpr.hits` value and build the `Hit`; raise `InvalidInput` on any defect."""
    msg = fields.as_object(obj, "an anpr.hits message")
    fields.check_keys(msg, _REQUIRED, _ALLOWED)
    fields.schema_version(msg)
    hit_id = fields.text(msg, "hit_id", max_len=128, pattern=fields.IDENTIFIER)
    checkpoint_id = fields.text(msg, "checkpoint_id", max_len=64, pattern=fields.IDENTIFIER)
    lane = fields.integer(msg, "lane", minimum=1, maximum=16)
    direction = fields.choice(msg, "direction", DIRECTIONS)
    event_time = fields.timestamp(msg, "event_time")
    plate_text = fields.text(msg, "plate_text", max_len=16)
    plate_confidence = fields.number(msg, "plate_confidence", minimum=0.0, maximum=1.0)
    plate_colour = fields.choice(msg, "plate_colour", PLATE_COLOURS)
    candidates = _candidates(msg) if "candidates" in msg else ()
    vehicle_type = fields.optional_choice(msg, "vehicle_type", VEHICLE_TYPES)
    vehicle_colour = fields.optional_text(msg, "vehicle_colour", max_len=32)
    image_refs = _image_refs(msg) if "image_refs" in msg else ()
    gateway_id = fields.optional_text(msg, "gateway_id", max_len=64)

    if event_time > now + limits.max_skew:
        ahead = (event_time - now).total_seconds()
        raise InvalidInput("invalid_value", f"event_time is {ahead:.0f} s in the future (clock skew?)")
    if event_time < now - limits.max_age:
        raise InvalidInput("invalid_value", f"event_time is older than the {limits.max_age.days} d retention")
    read_as = None
    try:
        plate = parse_plate(plate_text)
    except PlateFormatError as exc:
        repaired = repair_plate(plate_text, limits.max_substitutions)
        if repaired is None:
            raise InvalidInput("plate_format", f"plate_text: {exc}") from None
        plate, read_as = repaired, normalise_plate(plate_text)

    return Hit(
        hit_id=hit_id,
        checkpoint_id=checkpoint_id,
        lane=lane,
        direction=direction,
        event_time=event_time,
        plate=plate,
        plate_confidence=plate_confidence,
        plate_colour=plate_colour,
        candidates=candidates,
        vehicle_type=vehicle_type,
        vehicle_colour=vehicle_colour,
        image_refs=image_refs,
        gateway_id=gateway_id,
        read_as=read_as,
        arrived_at=arrived_at,
    )


def _candidates(msg: Mapping[str, object]) -> tuple[Candidate, ...]:
    found = []
    for index, item in enumerate(fields.array(msg, "candidates", max_items=MAX_CANDIDATES)):
        # The hot path (three candidates on nearly every hit): a well-formed candidate is recognised inline,
        # with exactly the checks below; anything else goes through the field readers, which name the defect.
        if type(item) is dict and len(item) == 2:
            text, confidence = item.get("text"), item.get("confidence")
            if (
                type(text) is str
                and 1 <= len(text) <= 16
                and (type(confidence) is float or type(confidence) is int)
                and 0.0 <= confidence <= 1.0
            ):
                found.append(Candidate(text, float(confidence)))
                continue
        found.append(_checked_candidate(index, item))
    return tuple(found)


def _checked_candidate(index: int, item: object) -> Candidate:
    """A candidate through the field readers: returns it when valid, else raises saying what is wrong."""
    where = f"candidates[{index}]"
    candidate = fields.as_object(item, where)
    try:
        fields.check_keys(candidate, _CANDIDATE_KEYS, _CANDIDATE_KEYS)
        text = fields.text(candidate, "text", max_len=16)
        confidence = fields.number(candidate, "confidence", minimum=0.0, maximum=1.0)
    except InvalidInput as exc:
        raise InvalidInput(exc.code, f"{where}: {exc.detail}") from None
    return Candidate(text, confidence)


def _image_refs(msg: Mapping[str, object]) -> tuple[str, ...]:
    refs = fields.array(msg, "image_refs", max_items=MAX_IMAGE_REFS)
    for index, ref in enumerate(refs):
        if type(ref) is not str or not 1 <= len(ref) <= 512:
            raise InvalidInput("invalid_value", f"image_refs[{index}] must be a string of 1..512 characters")
    return tuple(refs)  # type: ignore[arg-type]
