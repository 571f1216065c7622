"""What the console shows of a message: an alert row, an incident row, a lockdown folded from its events.

Fields are read with the domain's readers (streams/domain/fields.py), so a refused message gets the reason a
dead letter would give. More lenient than an input decoder, on purpose: citygate writes these topics, a
later version may add fields, and an optional field the console cannot read shows as '?' or '-' instead of
hiding the row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

from streams.domain import fields
from streams.domain.exceptions import InvalidInput
from streams.domain.geography.topology import RING_ORDER

# Output topics are written by citygate and may be larger than an input's limit; the broker's default cap.
MAX_VALUE_BYTES = 1024 * 1024
# No limits of the console's own: it shows what citygate wrote (no string is longer than its message).
_ANY_LENGTH = MAX_VALUE_BYTES
_MIN_INT, _MAX_INT = -(1 << 63), (1 << 64) - 1  # what orjson reads
INCIDENT_STATUSES = ("open", "closed")

_ALERT_FIELDS = ("alert_id", "kind", "priority", "state")
_INCIDENT_FIELDS = ("incident_id", "status", "priority", "category")
_LOCKDOWN_FIELDS = ("lockdown_id", "event_id", "type", "status", "rings", "sealed", "staffed", "required")

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _required(value: Mapping[str, object], names: Iterable[str]) -> None:
    # Every field present is allowed: output topics may carry fields this console does not show.
    fields.check_keys(value, tuple(names), allowed=value)


def _lenient(
    read: Callable[Concatenate[Mapping[str, object], str, _P], _T],
    value: Mapping[str, object],
    name: str,
    /,
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> _T | None:
    """A domain reader on an optional field: None where the field is absent, null or refused (shown as '-'
    or '?'), where an input decoder would refuse the whole message."""
    if value.get(name) is None:
        return None
    try:
        return read(value, name, *args, **kwargs)
    except InvalidInput:
        return None


def _time(value: Mapping[str, object], name: str) -> datetime | None:
    """An RFC 3339 time, or None (the console shows '?' rather than refusing). Local, because no domain
    reader bounds the year: one near 1 or 9999 overflows when shown in another zone."""
    at = _lenient(fields.timestamp, value, name)
    return at if at is not None and 1900 <= at.year <= 9000 else None


def _rings(value: Mapping[str, object], name: str) -> list[str]:
    """A list of ring names (absent: empty). Local, because the domain never reads a list of strings: it
    writes lockdowns, it does not parse them."""
    rings = fields.array(value, name, max_items=_ANY_LENGTH)
    if not all(type(ring) is str for ring in rings):
        raise InvalidInput("wrong_type", f"field '{name}' must be a list of ring names")
    return [ring for ring in rings if isinstance(ring, str)]


def _counts(value: Mapping[str, object], name: str) -> dict[str, int]:
    """Ring → number of points."""
    counts = fields.as_object(value.get(name), f"field '{name}'")
    return {ring: fields.integer(counts, ring, minimum=0, maximum=_MAX_INT) for ring in counts}


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def ring_sorted(rings: Iterable[str]) -> list[str]:
    """Innermost ring first; rings the topology does not name last, by name."""
    order = {ring: n for n, ring in enumerate(RING_ORDER)}
    return sorted(set(rings), key=lambda r: (order.get(r, len(order)), r))


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert_id: str
    kind: str
    priority: int
    state: str
    plate: str | None
    checkpoint_id: str | None
    ring: str | None
    summary: str
    # What "newest" sorts by, and the time shown: when it happened (event_time), else when citygate made
    # this version (created_at), else when it reached Kafka.
    when: datetime
    # When it reached Kafka (the message timestamp): the lookback, like the seek, is measured on it.
    received: datetime
    seen: int | None
    # The alert as citygate wrote it, for the detail view (detail.py), which shows what no row has room for.
    message: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, value: Mapping[str, object], timestamp: datetime) -> AlertRow:
        """Raises InvalidInput when a field the row needs is missing or wrong."""
        _required(value, _ALERT_FIELDS)
        summary = value.get("summary")
        text = ""
        if isinstance(summary, dict):  # the Chinese summary, else the English one
            text = next((s for s in (summary.get("zh"), summary.get("en")) if type(s) is str), "")
        sightings = value.get("sightings")
        seen = None
        if isinstance(sightings, dict):
            seen = _lenient(fields.integer, sightings, "count", minimum=_MIN_INT, maximum=_MAX_INT)
        return cls(
            alert_id=fields.text(value, "alert_id", max_len=_ANY_LENGTH),
            kind=fields.text(value, "kind", max_len=_ANY_LENGTH),
            priority=fields.integer(value, "priority", minimum=1, maximum=3),
            state=fields.text(value, "state", max_len=_ANY_LENGTH),
            plate=_lenient(fields.text, value, "plate", max_len=_ANY_LENGTH),
            checkpoint_id=_lenient(fields.text, value, "checkpoint_id", max_len=_ANY_LENGTH),
            ring=_lenient(fields.text, value, "ring", max_len=_ANY_LENGTH),
            summary=_one_line(text),
            when=_time(value, "event_time") or _time(value, "created_at") or timestamp,
            received=timestamp,
            seen=seen,
            message=value,
        )


@dataclass(frozen=True, slots=True)
class IncidentRow:
    incident_id: str
    status: str
    priority: int
    category: str
    suspects: int | None
    captured: int | None
    armed: bool
    address: str
    calls: int | None
    attachments: int | None
    assigned_to: str | None
    lockdown_id: str | None
    started_at: datetime | None

    @classmethod
    def parse(cls, value: Mapping[str, object]) -> IncidentRow:
        """Raises InvalidInput when a field the row needs is missing or wrong."""
        _required(value, _INCIDENT_FIELDS)
        calls = _lenient(fields.array, value, "call_ids", max_items=_ANY_LENGTH)
        attachments = _lenient(fields.array, value, "attachments", max_items=_ANY_LENGTH)
        return cls(
            incident_id=fields.text(value, "incident_id", max_len=_ANY_LENGTH),
            status=fields.choice(value, "status", INCIDENT_STATUSES),
            priority=fields.integer(value, "priority", minimum=1, maximum=3),
            category=fields.text(value, "category", max_len=_ANY_LENGTH),
            suspects=_lenient(fields.integer, value, "suspects", minimum=_MIN_INT, maximum=_MAX_INT),
            captured=_lenient(fields.integer, value, "captured", minimum=_MIN_INT, maximum=_MAX_INT),
            armed=value.get("armed") is True,
            address=_one_line(_lenient(fields.text, value, "address", min_len=0, max_len=_ANY_LENGTH)),
            calls=None if calls is None else len(calls),
            attachments=None if attachments is None else len(attachments),
            assigned_to=_lenient(fields.text, value, "assigned_to", max_len=_ANY_LENGTH),
            lockdown_id=_lenient(fields.text, value, "lockdown_id", max_len=_ANY_LENGTH),
            started_at=_time(value, "started_at"),
        )


@dataclass(frozen=True, slots=True)
class LockdownEvent:
    """One `lockdowns` event: what happened, and the lockdown's state after it."""

    lockdown_id: str
    event_id: str
    type: str
    status: str
    incident_id: str | None
    rings: list[str]
    sealed: list[str]
    staffed: dict[str, int]
    required: dict[str, int]
    given_up: list[str]
    at: datetime | None

    @classmethod
    def parse(cls, value: Mapping[str, object]) -> LockdownEvent:
        """Raises InvalidInput when a field the view needs is missing or wrong."""
        _required(value, _LOCKDOWN_FIELDS)
        return cls(
            lockdown_id=fields.text(value, "lockdown_id", max_len=_ANY_LENGTH),
            event_id=fields.text(value, "event_id", max_len=_ANY_LENGTH),
            type=fields.text(value, "type", max_len=_ANY_LENGTH),
            status=fields.text(value, "status", max_len=_ANY_LENGTH),
            incident_id=_lenient(fields.text, value, "incident_id", max_len=_ANY_LENGTH),
            rings=_rings(value, "rings"),
            sealed=_rings(value, "sealed"),
            staffed=_counts(value, "staffed"),
            required=_counts(value, "required"),
            given_up=_rings(value, "given_up"),
            at=_time(value, "at"),
        )


@dataclass(slots=True)
class LockdownView:
    """One lockdown folded from its events: the state after the latest one, plus what only events tell."""

    lockdown_id: str
    incident_id: str | None = None
    status: str = "active"
    rings: list[str] = field(default_factory=list)
    sealed: list[str] = field(default_factory=list)
    staffed: dict[str, int] = field(default_factory=dict)
    required: dict[str, int] = field(default_factory=dict)
    raised_at: datetime | None = None
    first_seen: datetime | None = None
    given_up_events: set[str] = field(default_factory=set)
    last_type: str = ""
    last_at: datetime | None = None
    event_ids: set[str] = field(default_factory=set)

    @property
    def given_up(self) -> list[str]:
        """Rings of the plan no longer closed: named by `escalated` events, or seen missing from `rings`."""
        gone = self.given_up_events | {ring for ring in self.required if ring not in self.rings}
        return ring_sorted(gone)

    def apply(self, event: LockdownEvent, at: datetime) -> None:
        """Fold in one event that happened `at`; a replayed event (same event id) changes nothing."""
        if event.event_id in self.event_ids:
            return
        self.event_ids.add(event.event_id)
        if event.type == "raised":
            self.raised_at = at
            self.given_up_events.clear()
        self.incident_id = event.incident_id or self.incident_id
        self.status, self.rings, self.sealed = event.status, event.rings, event.sealed
        self.staffed, self.required = event.staffed, event.required
        self.given_up_events.update(event.given_up)
        self.last_type, self.last_at = event.type, at
