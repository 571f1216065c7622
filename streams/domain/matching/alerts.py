"""Alerts: what operators act on. One envelope for every kind, with an id derived from its cause.

A deterministic `alert_id` is what makes at-least-once delivery safe: a replayed hit yields the same id, so
consumers upsert instead of seeing a second alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from streams.domain.matching.equivalence import Difference, differences, equivalence_key
from streams.domain.matching.hits import Hit
from streams.domain.matching.plates import normalise_plate, read_key
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex

CATEGORY_ZH = {
    "stolen": "被盗抢车辆",
    "wanted": "在逃人员关联车辆",
    "incident": "案事件关联车辆",
    "lookout": "协查车辆",
    "fake_plate": "套牌车辆",
    "other": "其他布控",
}
MATCH_TYPE_ZH = {"exact": "号牌一致", "candidate": "备选识别结果命中", "ocr_equivalent": "易混字符近似命中"}
DIRECTION_ZH = {"inbound": "进城", "outbound": "出城", "unknown": "方向未知"}
# What an operator is expected to do first, by watchlist category.
ACTIONS = {
    "stolen": ("intercept", "verify_vehicle_documents"),
    "wanted": ("intercept", "notify_command_centre", "approach_with_caution"),
    "incident": ("intercept", "notify_incident_commander"),
    "lookout": ("verify_and_report", "notify_source_agency"),
    "fake_plate": ("intercept", "verify_vehicle_documents"),
    "other": ("verify_and_report",),
}


def alert_id_for(kind: str, *cause: str) -> str:
    """A stable id from the alert's kind and the ids of what caused it."""
    digest = hashlib.sha256("\x1f".join((kind, *cause)).encode()).hexdigest()
    return f"al-{digest[:24]}"


@dataclass(frozen=True, slots=True)
class Ref:
    """Points at an input message the alert was made from."""

    topic: str
    id: str
    partition: int | None = None
    offset: int | None = None

    def to_message(self) -> dict[str, object]:
        ref: dict[str, object] = {"topic": self.topic, "id": self.id}
        if self.partition is not None:
            ref["partition"] = self.partition
        if self.offset is not None:
            ref["offset"] = self.offset
        return ref


# How a read met a listed plate, best first: the plate as read, one of the OCR engine's alternative
# readings, or a read that differs only in confusable characters.
MATCH_TYPES = ("exact", "candidate", "ocr_equivalent")


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    max_substitutions: int = 2
    # Alternative readings below this confidence are noise, not evidence.
    candidate_min_confidence: float = 0.3
    # Live matching answers for hits that reached Kafka at least this long after their entry was listed;
    # the ones before are the entry's retro-match (retro.py), so each hit is matched exactly once.
    listing_grace: timedelta = timedelta(seconds=3)

    def answers_live(self, entry: WatchlistEntry, hit: Hit) -> bool:
        """Whether live matching (not the entry's retro-match) answers for `hit` against `entry`."""
        if entry.listed_at is None or hit.arrived_s is None:
            return True
        return hit.arrived_s >= entry.listed_at.timestamp() + self.listing_grace.total_seconds()


@dataclass(frozen=True, slots=True)
class MatchDetail:
    entry_id: str
    category: str
    match_type: str
    listed_plate: str
    reason: str
    source_agency: str
    instructions: str | None
    priority: int
    matched_text: str = ""
    differences: tuple[Difference, ...] = ()


@dataclass(frozen=True, slots=True)
class Sightings:
    """How often one plate was read at one site while an alert stayed open (dedup)."""

    count: int
    first_seen: datetime
    last_seen: datetime
    lanes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    kind: str
    priority: int
    state: str
    created_at: datetime
    event_time: datetime
    summary_zh: str
    summary_en: str
    restricted: bool = False
    incident_id: str | None = None
    plate: str | None = None
    plate_raw: str | None = None
    checkpoint_id: str | None = None
    ring: str | None = None
    lane: int | None = None
    direction: str | None = None
    match: MatchDetail | None = None
    actions: tuple[str, ...] = ()
    refs: tuple[Ref, ...] = field(default_factory=tuple)
    sightings: Sightings | None = None
    # An operator's decision as `review_alert` wrote it (streams/domain/commands.py), carried on updates.
    review: dict[str, object] | None = None
    # intercept_ahead: the heading and the next checkpoints with their passing windows.
    intercept: dict[str, object] | None = None
    # lookout_sighting: who is sent (the nearest street workstation and rapid-response units).
    dispatch: dict[str, object] | None = None

    @classmethod
    def from_message(cls, message: Mapping[str, Any], *, restricted: bool = False) -> Alert:
        """The alert an `alerts` value (already checked against the schema) describes: `to_message`'s
        inverse, for a worker that takes over the open alerts of another."""
        match = message.get("match")
        sightings = message.get("sightings")
        summary = message["summary"]
        return cls(
            alert_id=message["alert_id"],
            kind=message["kind"],
            priority=int(message["priority"]),
            state=message["state"],
            created_at=datetime.fromisoformat(message["created_at"]),
            event_time=datetime.fromisoformat(message["event_time"]),
            summary_zh=summary["zh"],
            summary_en=summary["en"],
            restricted=restricted,
            incident_id=message.get("incident_id"),
            plate=message.get("plate"),
            plate_raw=message.get("plate_raw"),
            checkpoint_id=message.get("checkpoint_id"),
            ring=message.get("ring"),
            lane=None if message.get("lane") is None else int(message["lane"]),
            direction=message.get("direction"),
            match=None
            if match is None
            else MatchDetail(
                entry_id=match["entry_id"],
                category=match["category"],
                match_type=match["match_type"],
                listed_plate=match["listed_plate"],
                reason=match["reason"],
                source_agency=match["source_agency"],
                instructions=match.get("instructions"),
                priority=int(match["priority"]),
                matched_text=match["matched_text"],
                differences=tuple(
                    Difference(int(d["position"]), d["read"], d["listed"]) for d in match["differences"]
                ),
            ),
            actions=tuple(message.get("actions", ())),
            refs=tuple(
                Ref(r["topic"], r["id"], r.get("partition"), r.get("offset")) for r in message.get("refs", ())
            ),
            sightings=None
            if sightings is None
            else Sightings(
                count=int(sightings["count"]),
                first_seen=datetime.fromisoformat(sightings["first_seen"]),
                last_seen=datetime.fromisoformat(sightings["last_seen"]),
                lanes=tuple(int(lane) for lane in sightings["lanes"]),
            ),
            review=message.get("review"),
            intercept=message.get("intercept"),
            dispatch=message.get("dispatch"),
        )

    def to_message(self) -> dict[str, object]:
        """The `alerts` value (schemas/alerts.schema.json); `restricted` only chooses the topic."""
        match = self.match
        return {
            "schema_version": 1,
            "alert_id": self.alert_id,
            "kind": self.kind,
            "priority": self.priority,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "event_time": self.event_time.isoformat(),
            "incident_id": self.incident_id,
            "plate": self.plate,
            "plate_raw": self.plate_raw,
            "checkpoint_id": self.checkpoint_id,
            "ring": self.ring,
            "lane": self.lane,
            "direction": self.direction,
            "match": None
            if match is None
            else {
                "entry_id": match.entry_id,
                "category": match.category,
                "match_type": match.match_type,
                "listed_plate": match.listed_plate,
                "reason": match.reason,
                "source_agency": match.source_agency,
                "instructions": match.instructions,
                "priority": match.priority,
                "matched_text": match.matched_text,
                "differences": [
                    {"position": d.position, "read": d.read, "listed": d.listed} for d in match.differences
                ],
            },
            "summary": {"zh": self.summary_zh, "en": self.summary_en},
            "actions": list(self.actions),
            "refs": [ref.to_message() for ref in self.refs],
            "sightings": None
            if self.sightings is None
            else {
                "count": self.sightings.count,
                "first_seen": self.sightings.first_seen.isoformat(),
                "last_seen": self.sightings.last_seen.isoformat(),
                "lanes": list(self.sightings.lanes),
            },
            "review": self.review,
            "intercept": self.intercept,
            "dispatch": self.dispatch,
        }


# A match before it becomes an alert: the entry, how it matched, the reading that matched, the differences.
Match = tuple[WatchlistEntry, str, str, tuple[Difference, ...]]


def match_hit(
    hit: Hit,
    index: WatchlistIndex,
    *,
    now: datetime,
    hit_ref: Ref,
    policy: MatchPolicy = MatchPolicy(),  # noqa: B008
) -> list[Alert]:
    """One alert per watchlist entry in force that the hit matches, each by its best match type (see
    `find_matches`)."""
    return alerts_for(hit, find_matches(hit, index, now=now, policy=policy), now=now, hit_ref=hit_ref)


def alerts_for(hit: Hit, matches: Sequence[Match], *, now: datetime, hit_ref: Ref) -> list[Alert]:
    """The alert of each match, in `find_matches`'s order."""
    return [
        watchlist_alert(
            hit, entry, now=now, hit_ref=hit_ref, match_type=kind, matched_text=text, differences=diffs
        )
        for entry, kind, text, diffs in matches
    ]


def find_matches(
    hit: Hit,
    index: WatchlistIndex,
    *,
    now: datetime,
    policy: MatchPolicy = MatchPolicy(),  # noqa: B008
) -> list[Match]:
    """Every watchlist entry in force that the hit matches, each by its best match type, best first.

    Tried in order: the plate as read, then the alternative readings above the confidence floor, then
    OCR equivalence of the read and of those readings. Each step is a dict probe: O(1) in the list's size.
    A read that failed the grammar only through confusable characters (repaired by `parse_hit`) never
    matches `exact`: the read itself is compared, and its differences from the listed plate are the
    characters a repair would change. Entries listed so recently that the hit is their retro-match's
    (`MatchPolicy.answers_live`) are left to it.
    """
    read = hit.plate.normalised
    at = hit.event_time
    # One probe per reading, by its equivalence key; a candidate's text is normalised only when its bucket
    # holds something. Almost every hit stops after these probes, having found nothing to compare.
    first = hit.read_as or read
    key = equivalence_key(first)
    probed: list[tuple[str, str, tuple[WatchlistEntry, ...], bool]] = []
    entries = index.probe_key(key)
    if entries:
        probed.append((first, key, entries, True))
    buckets = {key: entries}
    for candidate in hit.candidates:
        if candidate.confidence < policy.candidate_min_confidence:
            continue
        key = read_key(candidate.text)
        entries = buckets[key] if key in buckets else buckets.setdefault(key, index.probe_key(key))
        if entries:  # another spelling of a key already probed still counts as a reading of its own
            text = normalise_plate(candidate.text)
            if all(text != known for known, *_ in probed):
                probed.append((text, key, entries, False))
    if not probed:
        return []

    def in_force(entry: WatchlistEntry) -> bool:
        return entry.is_valid_at(at) and not entry.has_expired(now)

    best: dict[str, Match] = {}
    for text, _, entries, is_read in probed:  # exact: the read itself (never a repaired one), candidates
        if is_read and hit.read_as is not None:
            continue
        kind = "exact" if is_read else "candidate"
        for entry in entries:
            if entry.plate_normalised == text and in_force(entry):
                best.setdefault(entry.entry_id, (entry, kind, text, ()))
    if policy.max_substitutions > 0:
        for text, key, entries, _ in probed:
            for entry in entries:
                listed = entry.plate_normalised
                if listed == text or len(listed) != len(text) or equivalence_key(listed) != key:
                    continue
                diffs = differences(text, listed)
                if len(diffs) <= policy.max_substitutions and in_force(entry):
                    best.setdefault(entry.entry_id, (entry, "ocr_equivalent", text, diffs))
    live = [m for m in best.values() if policy.answers_live(m[0], hit)]
    return sorted(live, key=lambda m: (MATCH_TYPES.index(m[1]), m[0].priority, m[0].entry_id))


def watchlist_alert(
    hit: Hit,
    entry: WatchlistEntry,
    *,
    now: datetime,
    hit_ref: Ref,
    match_type: str,
    matched_text: str = "",
    differences: tuple[Difference, ...] = (),
) -> Alert:
    # One meaning per field: `plate` is the listed plate that matched; the read is `plate_raw` (as the camera
    # sent it) and `match.matched_text` / `match.differences` (the reading compared and how it differs).
    plate = entry.plate_normalised
    summary_zh = (
        f"布控预警：{plate} 经卡口 {hit.checkpoint_id} 第{hit.lane}车道（{DIRECTION_ZH[hit.direction]}），"
        f"{CATEGORY_ZH[entry.category]}：{entry.reason}"
    )
    summary_en = (
        f"Watchlist hit: {plate} at checkpoint {hit.checkpoint_id} lane {hit.lane} ({hit.direction}), "
        f"{entry.category}: {entry.reason}"
    )
    if match_type != "exact":
        # An operator must see at once that the camera did not read the listed plate itself.
        read = matched_text or hit.plate.normalised
        summary_zh += f"（{MATCH_TYPE_ZH[match_type]}，识别为 {read}）"
        summary_en += f" ({match_type.replace('_', ' ')} match: read as {read})"
    return Alert(
        alert_id=alert_id_for("watchlist_match", entry.entry_id, hit.hit_id),
        kind="watchlist_match",
        priority=entry.priority,
        state="new",
        created_at=now,
        event_time=hit.event_time,
        summary_zh=summary_zh,
        summary_en=summary_en,
        restricted=entry.covert,
        incident_id=entry.incident_id,
        plate=plate,
        plate_raw=hit.plate.raw,
        checkpoint_id=hit.checkpoint_id,
        lane=hit.lane,
        direction=hit.direction,
        match=MatchDetail(
            entry_id=entry.entry_id,
            category=entry.category,
            match_type=match_type,
            listed_plate=entry.plate,
            reason=entry.reason,
            source_agency=entry.source_agency,
            instructions=entry.instructions,
            priority=entry.priority,
            matched_text=matched_text or hit.plate.normalised,
            differences=differences,
        ),
        actions=ACTIONS[entry.category],
        refs=(hit_ref, Ref(topic="watchlist.entries", id=entry.entry_id)),
    )
