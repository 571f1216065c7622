"""The fixed, seeded workload every scenario runs on: a 10,000-entry watchlist and a stream of plate reads
(and, for scenario m, the same watchlist grown to a million entries with plates no read can match).

Why seeded: the scenarios are compared with each other (citygate against a plain loop, one worker against
two), so they must chew through the same bytes. Everything is decided by the seed (plates, checkpoints,
which reads match, how) except event times, which are stamped when a hit is produced so citygate does not
refuse them as older than the retention. Every plate generated is checked with `parse_plate`, and every
reading of a hit that is not meant to match is checked against the listed plates' OCR-equivalence keys,
so the number of matching reads is known exactly in advance.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson

from bench.people import signed_entry
from streams.domain.matching.equivalence import CONFUSABLE_CLASSES, equivalence_key
from streams.domain.matching.plates import normalise_plate, parse_plate

WATCHLIST_SIZE = 10_000
CHECKPOINTS = 3_160  # Yangzhou's electronic checkpoints
MATCH_SHARE = 0.001  # reads of listed plates among all reads

# event_time is written into a pre-encoded hit at production time: `isoformat(timespec="microseconds")`
# of an aware UTC datetime is always 32 characters, so the placeholder is too.
EVENT_TIME_PLACEHOLDER = "@" * 32
_PLACEHOLDER_BYTES = EVENT_TIME_PLACEHOLDER.encode()

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # GA 36-2018: never I or O
# Issuing-authority letters `random_plate` never gives (苏 A-N, other provinces A-R), nor any letter of the
# same OCR-equivalence class (S~5, Z~2 and the others here are in no class with A-R): a plate with one of
# them matches no hit of the workload, so a watchlist can be grown with such plates without changing the
# alerts to expect. (Real authorities for many provinces: 粤S 东莞, 川T 雅安, 鲁Y 烟台, 豫U 济源.)
OUTSIDE_AUTHORITIES = "STUVWXYZ"
_DIGITS = "0123456789"
_OTHER_PROVINCES = "京沪浙皖鲁豫鄂湘赣闽粤川渝冀辽吉黑晋陕甘宁青新藏桂贵云蒙琼津"
# OCR confusions a camera makes on plates; each keeps the text OCR-equivalent (same equivalence key).
# 'O' and 'I' never appear on a plate, so only the pairs that stay valid are used.
CONFUSIONS: dict[str, str] = {"8": "B", "B": "8", "0": "D", "D": "0", "2": "Z", "Z": "2", "5": "S", "S": "5"}
# Misreads that change the equivalence key (a different plate as far as matching goes).
_MISREADS: dict[str, str] = {"1": "7", "7": "1", "3": "8", "6": "5", "4": "A", "9": "3", "E": "F", "F": "E"}

CATEGORIES = (("stolen", 30), ("wanted", 10), ("incident", 15), ("lookout", 30), ("fake_plate", 10))
REASONS = {
    "stolen": "车辆被盗（{d} 报案）",
    "wanted": "网上追逃人员驾驶",
    "incident": "案事件关联车辆（{d} 案件）",
    "lookout": "外地公安机关协查车辆",
    "fake_plate": "疑似套牌，与登记车型不符",
    "other": "其他布控",
}
AGENCIES = ("扬州市公安局", "江苏省公安厅", "南京市公安局", "淮安市公安局", "泰州市公安局")
VEHICLE_TYPES = (("car", 62), ("suv", 18), ("van", 6), ("taxi", 6), ("truck", 5), ("bus", 2), ("other", 1))
VEHICLE_COLOURS = ("白色", "黑色", "银色", "灰色", "红色", "蓝色", "金色", "绿色")


@dataclass(frozen=True, slots=True)
class WatchlistPlate:
    entry_id: str
    plate: str  # as listed (normalised, valid)
    key: str  # OCR-equivalence key


@dataclass
class Workload:
    """The watchlist (messages ready to produce) and what a reader needs to know to build hits."""

    seed: int
    entries: list[tuple[str, dict[str, object]]]  # (key, value) of watchlist.entries
    listed: list[WatchlistPlate]
    listed_keys: frozenset[str]
    checkpoints: list[str]
    checkpoint_weights: list[float] = field(repr=False)


@dataclass
class HitStats:
    """What a hit stream was built to contain, to compare with what citygate reports."""

    hits: int = 0
    matching_reads: int = 0
    sightings: int = 0  # distinct (entry, checkpoint) groups opened: the `new` alerts to expect
    repeated_sightings: int = 0  # sightings read more than once: each should give one `updated` alert
    by_type: dict[str, int] = field(default_factory=lambda: {"exact": 0, "candidate": 0, "ocr_equivalent": 0})
    covert_reads: int = 0
    bytes: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "hits": self.hits,
            "matching_reads": self.matching_reads,
            "sightings": self.sightings,
            "repeated_sightings": self.repeated_sightings,
            "by_match_type": dict(self.by_type),
            "covert_reads": self.covert_reads,
            "mean_hit_bytes": round(self.bytes / self.hits, 1) if self.hits else 0,
        }


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def random_plate(rng: random.Random) -> str:
    """A plausible plate seen around Yangzhou: mostly 苏K, some other Jiangsu cities and provinces;
    ordinary, small and large new-energy plates. Always a valid GA 36-2018 plate."""
    roll = rng.random()
    if roll < 0.60:
        head = "苏K"
    elif roll < 0.85:
        head = "苏" + rng.choice("ABCDEFGHJLMN")
    else:
        head = rng.choice(_OTHER_PROVINCES) + rng.choice(_LETTERS[:16])
    return _plate_after(rng, head)


def _plate_after(rng: random.Random, head: str) -> str:
    """A serial after `head` (province + authority): ordinary, small or large new-energy, checked valid."""
    kind = rng.random()
    if kind < 0.80:  # ordinary: 5 characters, mostly digits, up to two letters
        serial = [rng.choice(_DIGITS) for _ in range(5)]
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            serial[rng.randrange(5)] = rng.choice(_LETTERS)
        text = head + "".join(serial)
    elif kind < 0.95:  # small new-energy: D/F (or A-K), a letter or digit, 4 digits
        first = rng.choice("DDDDFFFABCEGHJK")
        second = rng.choice(_LETTERS + _DIGITS * 2)
        text = head + first + second + "".join(rng.choice(_DIGITS) for _ in range(4))
    else:  # large new-energy: 5 digits then D or F
        text = head + "".join(rng.choice(_DIGITS) for _ in range(5)) + rng.choice("DF")
    parse_plate(text)  # raises on a bug in this generator: every plate must be valid
    return text


def outside_plate(rng: random.Random) -> str:
    """A valid plate of another province with an authority letter in `OUTSIDE_AUTHORITIES`: one no hit of
    this workload can read, exactly or OCR-equivalently (see `OUTSIDE_AUTHORITIES`)."""
    return _plate_after(rng, rng.choice(_OTHER_PROVINCES) + rng.choice(OUTSIDE_AUTHORITIES))


def _substitute(rng: random.Random, plate: str, table: dict[str, str], avoid: set[str]) -> str | None:
    """`plate` with one character (after province and authority) replaced per `table`, still a valid
    plate and not in `avoid`; None if there is no such position."""
    positions = [i for i in range(2, len(plate)) if plate[i] in table]
    rng.shuffle(positions)
    for i in positions:
        text = plate[:i] + table[plate[i]] + plate[i + 1 :]
        if text in avoid:
            continue
        try:
            parse_plate(text)
        except ValueError:
            continue
        return text
    return None


def _confusable(plate: str) -> bool:
    """True when some single OCR confusion of `plate` is still a valid plate."""
    for i in range(2, len(plate)):
        if plate[i] in CONFUSIONS:
            try:
                parse_plate(plate[:i] + CONFUSIONS[plate[i]] + plate[i + 1 :])
            except ValueError:
                continue
            return True
    return False


def entry_message(rng: random.Random, entry_id: str, plate: str, now: datetime) -> dict[str, object]:
    """A `watchlist.entries` value for `plate` with the contract's fields at realistic sizes (Chinese
    reasons and agencies, validity windows, 3% covert), in force since 1-90 days before `now`."""
    category = _weighted(rng, CATEGORIES)
    days_ago = rng.randint(1, 90)
    day = (now - timedelta(days=days_ago)).date().isoformat()
    return {
        "schema_version": 1,
        "entry_id": entry_id,
        "plate": plate if rng.random() < 0.8 else f"{plate[:2]}·{plate[2:]}",
        "category": category,
        "priority": 1 if category == "wanted" else rng.choice((1, 2, 2, 3)),
        "reason": REASONS[category].format(d=day),
        "source_agency": rng.choice(AGENCIES),
        "added_by": f"officer-{rng.randint(1, 400):04d}",
        "valid_from": (now - timedelta(days=days_ago)).isoformat(),
        "valid_until": None
        if rng.random() < 0.5
        else (now + timedelta(days=rng.randint(30, 180))).isoformat(),
        "covert": rng.random() < 0.03,
        "incident_id": f"AJ-2026-{rng.randint(1, 99999):05d}" if category == "incident" else None,
        "instructions": "注意安全，等待增援后盘查" if category == "wanted" else None,
    }


def build_workload(seed: int, *, size: int = WATCHLIST_SIZE, now: datetime) -> Workload:
    """The watchlist: `size` entries on distinct plates whose OCR-equivalence keys are distinct too, so a
    read matches at most one entry and the expected alert count is exact."""
    rng = random.Random(seed)
    entries: list[tuple[str, dict[str, object]]] = []
    listed: list[WatchlistPlate] = []
    keys: set[str] = set()
    while len(listed) < size:
        plate = random_plate(rng)
        # An OCR-equivalent read of every listed plate must exist (the ocr_equivalent match type).
        if not _confusable(plate):
            continue
        key = equivalence_key(plate)
        if key in keys:
            continue
        keys.add(key)
        n = len(listed) + 1
        entry_id = f"WL-BENCH-{n:06d}"
        entries.append((entry_id, entry_message(rng, entry_id, plate, now)))
        listed.append(WatchlistPlate(entry_id, normalise_plate(plate), key))
    checkpoints = [f"YZ-EC-{i:04d}" for i in range(1, CHECKPOINTS + 1)]
    # Busy sites on the ring roads see far more traffic than quiet ones: a mild Zipf-like skew.
    weights = [1.0 / (1 + (i % 400)) ** 0.5 for i in range(CHECKPOINTS)]
    return Workload(seed, entries, listed, frozenset(keys), checkpoints, weights)


class HitFactory:
    """Builds hit messages for one stream; `stats` counts what was built."""

    def __init__(self, workload: Workload, rng: random.Random, tag: str) -> None:
        self.w = workload
        self.rng = rng
        self.tag = tag  # makes hit ids unique per stream
        self.stats = HitStats()
        self._covert = {
            e.entry_id for (_, v), e in zip(workload.entries, workload.listed, strict=True) if v["covert"]
        }
        cum = 0.0
        self._cum: list[float] = []
        for weight in workload.checkpoint_weights:
            cum += weight
            self._cum.append(cum)

    def checkpoint(self) -> str:
        return self.rng.choices(self.w.checkpoints, cum_weights=self._cum)[0]

    def _unlisted_reading(self, avoid_key: str | None = None) -> str:
        """A plate none of whose plausible readings is listed (exactly or OCR-equivalently)."""
        while True:
            plate = random_plate(self.rng)
            key = equivalence_key(plate)
            if key not in self.w.listed_keys and key != avoid_key:
                return plate

    def _alternatives(self, read: str, count: int, forbid: set[str]) -> list[str]:
        """Alternative readings an OCR engine would offer: confusions (same key) or misreads of one
        character. A misread whose key is listed would be a match nobody planned, so it is skipped."""
        found: list[str] = []
        for _ in range(count * 4):
            if len(found) == count:
                break
            table = CONFUSIONS if self.rng.random() < 0.6 else _MISREADS
            text = _substitute(self.rng, read, table, forbid | set(found) | {read})
            if text is None:
                continue
            key = equivalence_key(text)
            if table is _MISREADS and key in self.w.listed_keys:
                continue
            found.append(text)
        while len(found) < count:  # a plate with nothing to confuse: a low-confidence random plate
            found.append(self._unlisted_reading())
        return found

    def hit(
        self, seq: int, checkpoint: str, plate_read: str, alternatives: list[str], event_time: str
    ) -> bytes:
        rng = self.rng
        confidence = round(rng.uniform(0.80, 0.99), 3)
        lane = rng.randint(1, 6)
        shown = plate_read if rng.random() < 0.75 else f"{plate_read[:2]}·{plate_read[2:]}"
        kind = parse_plate(plate_read).kind
        vehicle = _weighted(rng, VEHICLE_TYPES)
        if kind == "new_energy_small":
            colour = "green"
        elif kind == "new_energy_large":
            colour = "yellow_green"
        else:
            colour = "yellow" if vehicle in ("truck", "bus") else "blue"
        hit_id = f"{checkpoint}-{self.tag}-{seq:09d}"
        candidates = [{"text": plate_read, "confidence": confidence}]
        # The first alternative stays above citygate's 0.3 floor (a `candidate` match needs it to count).
        below = round(confidence * rng.uniform(0.45, 0.85), 3)
        for text in alternatives:
            candidates.append({"text": text, "confidence": below})
            below = round(below * rng.uniform(0.35, 0.8), 3)
        message = {
            "schema_version": 1,
            "hit_id": hit_id,
            "checkpoint_id": checkpoint,
            "lane": lane,
            "direction": "unknown" if rng.random() < 0.01 else rng.choice(("inbound", "outbound")),
            "event_time": event_time,
            "plate_text": shown,
            "plate_confidence": confidence,
            "candidates": candidates,
            "plate_colour": colour,
            "vehicle_type": vehicle,
            "vehicle_colour": rng.choice(VEHICLE_COLOURS),
            "image_refs": [
                f"s3://anpr/{checkpoint}/{lane}/{self.tag}{seq}-plate.jpg",
                f"s3://anpr/{checkpoint}/{lane}/{self.tag}{seq}-scene.jpg",
            ],
            "gateway_id": f"GW-YZ-{int(checkpoint[-4:]) // 40:03d}",
        }
        # orjson's bytes keep the capacity of its output buffer (~8 KB here): copied to their own size, 1M
        # pre-built hits take ~0.6 GB instead of ~8 GB.
        raw = memoryview(orjson.dumps(message)).tobytes()
        self.stats.hits += 1
        self.stats.bytes += len(raw)
        return raw

    def unlisted_hit(self, seq: int, event_time: str) -> tuple[bytes, bytes]:
        checkpoint = self.checkpoint()
        read = self._unlisted_reading()
        alternatives = self._alternatives(read, 2, set())
        return checkpoint.encode(), self.hit(seq, checkpoint, read, alternatives, event_time)

    def matching_hit(
        self, seq: int, entry: WatchlistPlate, checkpoint: str, match_type: str, event_time: str
    ) -> tuple[bytes, bytes]:
        """A read of the listed plate of `entry` that citygate must match with `match_type`."""
        listed = entry.plate
        if match_type == "ocr_equivalent":
            read = _substitute(self.rng, listed, CONFUSIONS, {listed})
            assert read is not None  # noqa: S101 - listed plates all have a confusable character
            alternatives = self._alternatives(read, 2, {listed})
            # Alternatives must not be the listed plate itself (that would be a `candidate` match).
            alternatives = [a for a in alternatives if a != listed][:2]
        elif match_type == "candidate":
            read = self._misread_of(listed)
            alternatives = [listed, self._unlisted_reading()]
        else:
            read = listed
            alternatives = self._alternatives(read, 2, set())
        self.stats.matching_reads += 1
        self.stats.by_type[match_type] += 1
        if entry.entry_id in self._covert:
            self.stats.covert_reads += 1
        return checkpoint.encode(), self.hit(seq, checkpoint, read, alternatives, event_time)

    def _misread_of(self, listed: str) -> str:
        """The listed plate with one non-confusable misread, itself matching nothing on the list."""
        for _ in range(20):
            text = _substitute(self.rng, listed, _MISREADS, {listed})
            if text is not None and equivalence_key(text) not in self.w.listed_keys:
                return text
        return self._unlisted_reading()

    def match_type(self) -> str:
        roll = self.rng.random()
        return "exact" if roll < 0.6 else ("ocr_equivalent" if roll < 0.85 else "candidate")


def prefill_hits(workload: Workload, count: int, *, seed: int) -> tuple[list[tuple[bytes, bytes]], HitStats]:
    """`count` (key, value) hits with `EVENT_TIME_PLACEHOLDER` for the event time (see `stamp`).

    About `MATCH_SHARE` of the reads are of listed plates. A listed vehicle passing a checkpoint is read
    1-3 times there (lanes, frames), a few hundred reads apart: citygate's dedup folds those into one
    alert, so the `new` alerts to expect are `stats.sightings`, fewer than the matching reads.
    """
    rng = random.Random(seed * 7919 + 1)
    factory = HitFactory(workload, rng, "P")
    repeats_per_sighting = ((1, 60), (2, 25), (3, 15))  # mean 1.55 reads
    p_sighting = MATCH_SHARE / 1.55
    scheduled: dict[int, tuple[WatchlistPlate, str]] = {}
    out: list[tuple[bytes, bytes]] = []
    stats = factory.stats
    for seq in range(count):
        planned = scheduled.pop(seq, None)
        if planned is not None:
            entry, checkpoint = planned
            out.append(
                factory.matching_hit(seq, entry, checkpoint, factory.match_type(), EVENT_TIME_PLACEHOLDER)
            )
            continue
        if rng.random() < p_sighting:
            entry = rng.choice(workload.listed)
            checkpoint = factory.checkpoint()
            reads = int(_weighted(rng, tuple((str(k), w) for k, w in repeats_per_sighting)))
            stats.sightings += 1
            if reads > 1:
                stats.repeated_sightings += 1
            for _ in range(reads - 1):
                at = seq + rng.randint(1, 300)
                while at in scheduled:
                    at += 1
                scheduled[at] = (entry, checkpoint)
            out.append(
                factory.matching_hit(seq, entry, checkpoint, factory.match_type(), EVENT_TIME_PLACEHOLDER)
            )
            continue
        out.append(factory.unlisted_hit(seq, EVENT_TIME_PLACEHOLDER))
    # Repeats scheduled past the end are dropped: their sighting is still counted once.
    return out, stats


def stamp(value: bytes, event_time: str) -> bytes:
    """Write the event time into a pre-built hit (same length as the placeholder, so no re-encoding)."""
    return value.replace(_PLACEHOLDER_BYTES, event_time.encode(), 1)


def latency_hits(workload: Workload, *, seed: int, tag: str, match_share: float) -> Iterator[LatencyHit]:
    """An endless stream for the latency scenario. Each matching read is of a distinct (entry, checkpoint)
    pair, so each one opens its own dedup group and yields a `new` alert that can be timed."""
    rng = random.Random(seed * 104729 + sum(map(ord, tag)))
    factory = HitFactory(workload, rng, tag)
    order = list(range(len(workload.listed)))
    rng.shuffle(order)
    matched = 0
    seq = 0
    while True:
        if rng.random() < match_share:
            entry = workload.listed[order[matched % len(order)]]
            # entry index cycles every 10,000 and checkpoint every 3,160: pairs are distinct for 790,000.
            checkpoint = workload.checkpoints[matched % len(workload.checkpoints)]
            matched += 1
            key, value = factory.matching_hit(
                seq, entry, checkpoint, factory.match_type(), EVENT_TIME_PLACEHOLDER
            )
            yield LatencyHit(key, value, f"{checkpoint}-{tag}-{seq:09d}", True)
        else:
            key, value = factory.unlisted_hit(seq, EVENT_TIME_PLACEHOLDER)
            yield LatencyHit(key, value, "", False)
        seq += 1


@dataclass(frozen=True, slots=True)
class LatencyHit:
    key: bytes
    value: bytes  # with the event-time placeholder
    hit_id: str  # set for matching reads only
    matching: bool


def watchlist_records(workload: Workload) -> list[tuple[bytes, bytes]]:
    """The watchlist as (key, value) records for `watchlist.entries`, signed (bench/people.py) when made."""
    return [(key.encode(), signed_entry(key, value)) for key, value in workload.entries]


def outside_entries(
    seed: int, count: int, *, now: datetime, prefix: str = "WL-BENCH-M"
) -> Iterator[tuple[str, dict[str, object]]]:
    """`count` (entry id, value) watchlist entries on distinct plates (distinct OCR-equivalence keys too)
    that no hit of the workload reads: made one at a time, so a million of them never sit in memory as
    dicts (only their keys, to keep them distinct)."""
    rng = random.Random(seed * 1_000_003 + 17)
    seen: set[str] = set()
    n = 0
    while n < count:
        plate = outside_plate(rng)
        key = equivalence_key(plate)
        if key in seen:
            continue
        seen.add(key)
        n += 1
        entry_id = f"{prefix}{n:07d}"
        yield entry_id, entry_message(rng, entry_id, plate, now)


def big_watchlist_records(workload: Workload, size: int, *, now: datetime) -> Iterator[tuple[bytes, bytes]]:
    """A `size`-entry watchlist as records: the workload's own entries (so the hits match as in the
    10k-entry scenarios and the expected alerts stay exact) followed by `outside_entries` up to `size`."""
    yield from watchlist_records(workload)
    for key, value in outside_entries(workload.seed, max(0, size - len(workload.entries)), now=now):
        yield key.encode(), signed_entry(key, value)


CONFUSABLE_PAIRS = tuple(sorted({"".join(sorted((a, b))) for a, b in CONFUSIONS.items()}))
# Every pair above is inside one of citygate's classes, or the ocr_equivalent reads would not match.
assert all(any(set(p) <= set(c) for c in CONFUSABLE_CLASSES) for p in CONFUSABLE_PAIRS)  # noqa: S101
