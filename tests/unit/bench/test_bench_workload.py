"""The workload's big-watchlist generator: distinct, valid entries that no hit of the workload can match."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson

from bench.matcher import Matcher
from bench.workload import (
    EVENT_TIME_PLACEHOLDER,
    OUTSIDE_AUTHORITIES,
    HitFactory,
    big_watchlist_records,
    build_workload,
    outside_entries,
    prefill_hits,
    stamp,
)
from streams import codecs
from streams.domain.matching.equivalence import equivalence_key
from streams.domain.matching.plates import normalise_plate

NOW = datetime.now(UTC)  # entries in force now: the matcher checks validity against the clock


def test_outside_entries_are_valid_and_distinct_by_id_plate_and_equivalence_key() -> None:
    entries = list(outside_entries(42, 5_000, now=NOW))
    assert len(entries) == 5_000
    parsed = [codecs.parse_entry(entry_id, value) for entry_id, value in entries]  # raises if invalid
    assert len({e.entry_id for e in parsed}) == 5_000
    assert len({e.plate_normalised for e in parsed}) == 5_000
    assert len({equivalence_key(e.plate_normalised) for e in parsed}) == 5_000
    assert all(e.plate_normalised[1] in OUTSIDE_AUTHORITIES for e in parsed)


def test_outside_entries_are_as_large_as_the_workloads_own() -> None:
    workload = build_workload(7, size=500, now=NOW)
    own = [len(orjson.dumps(value)) for _, value in workload.entries]
    extra = [len(orjson.dumps(value)) for _, value in outside_entries(7, 500, now=NOW)]
    assert abs(sum(extra) / len(extra) - sum(own) / len(own)) < 0.1 * sum(own) / len(own)


def test_big_watchlist_starts_with_the_workload_and_has_the_size_asked_for() -> None:
    workload = build_workload(3, size=200, now=NOW)
    records = list(big_watchlist_records(workload, 1_200, now=NOW))
    assert len(records) == 1_200
    unsigned = [
        (key, {k: v for k, v in orjson.loads(value).items() if k != "signature"}) for key, value in records
    ]
    assert unsigned[:200] == [(key.encode(), value) for key, value in workload.entries]
    assert all(orjson.loads(value)["signature"]["signer"] == "bench-officer" for _, value in records)
    assert len({key for key, _ in records}) == 1_200
    plates = {normalise_plate(str(orjson.loads(value)["plate"])) for _, value in records}
    assert len({equivalence_key(p) for p in plates}) == 1_200


def test_no_hit_of_the_workload_matches_an_outside_entry() -> None:
    """So growing the list keeps the expected alerts exact: only the workload's own entries match."""
    workload = build_workload(5, size=300, now=NOW)
    hits, _ = prefill_hits(workload, 3_000, seed=5)
    matcher = Matcher()
    extra = list(outside_entries(5, 20_000, now=NOW))
    for key, value in extra:
        matcher.load(key.encode(), orjson.dumps(value))
    assert matcher.skipped_entries == 0 and len(matcher.index) == 20_000
    now = datetime.now(UTC)
    event_time = now.isoformat(timespec="microseconds")
    matched = [n for n, (_, value) in enumerate(hits) if matcher.handle(stamp(value, event_time), 0, n, now)]
    assert matcher.invalid == 0
    assert matched == []
    # The control: a read of an outside plate does match, so the silence above is not a dead matcher.
    factory = HitFactory(workload, random.Random(1), "T")
    plate = normalise_plate(str(extra[0][1]["plate"]))
    read = factory.hit(0, "YZ-EC-0001", plate, [], EVENT_TIME_PLACEHOLDER)
    assert matcher.handle(stamp(read, event_time), 0, 0, now)
