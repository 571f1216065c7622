"""Reads ranges of `anpr.hits` for a retro-match scan, decoding of each hit only its readings.

A scan is mostly reading: of millions of past hits, the few that can match the entries looked for are the
ones whose readings share an equivalence key with them (`RetroMatcher.keys`). `read_ranges` returns only
those records, raw, for the scan to decode and match in full. It runs in the worker's own process, or (the
default) in spawned processes that each read a share of the partitions, so a scan uses the machine's other
cores and leaves the worker's event loop to live matching.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import TopicPartition

from streams import codecs
from streams.aio.following import consumer_for
from streams.domain.matching.plates import read_key
from streams.settings import Settings
from streams.topics import HITS

STALL_S = 30.0  # a range read with no progress this long is given up and tried again


@dataclass(frozen=True, slots=True)
class Range:
    """Offsets [start, end) of one partition of anpr.hits."""

    partition: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Kept:
    """A record whose readings can match: decoded in full by the scan."""

    partition: int
    offset: int
    timestamp_ms: int | None
    value: bytes | None


class RetroReadStalled(Exception):
    """A range read made no progress for `STALL_S`: the scan gives up this attempt and is tried again
    (`RetroScanner.scan_until_done`) with new clients, instead of holding the watchlist agent forever."""


async def read_ranges(
    settings: Settings, ranges: Sequence[Range], keys: frozenset[str], *, stall_s: float | None = None
) -> tuple[int, list[Kept]]:
    """(records read, the records kept) of `ranges`; yields to the event loop between chunks.

    A partition is done when the consumer's position reaches its range's end, not when a record at
    `end - 1` arrives: the last offsets of a partition may hold no record a consumer sees (a transaction's
    commit marker, an aborted batch), and waiting for one would never end.
    """
    if not ranges:
        return 0, []
    stall_s = STALL_S if stall_s is None else stall_s
    consumer = consumer_for(settings, client_id="retro-scan")
    await consumer.start()
    try:
        physical = settings.topic(HITS)
        ends = {TopicPartition(physical, r.partition): r.end for r in ranges}
        consumer.assign(list(ends))
        for r in ranges:
            consumer.seek(TopicPartition(physical, r.partition), r.start)
        read, kept = 0, []
        remaining = dict(ends)
        positions = {TopicPartition(physical, r.partition): r.start for r in ranges}
        progressed_at = time.monotonic()
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=10_000)
            for tp, records in batches.items():
                end = remaining.get(tp)
                if end is None:
                    continue
                for record in records:
                    if record.offset >= end:
                        break
                    read += 1
                    value = record.value
                    if any(read_key(text) in keys for text in codecs.hit_readings(value)):
                        kept.append(Kept(tp.partition, record.offset, record.timestamp, value))
            for tp, end in list(remaining.items()):
                position = await consumer.position(tp)
                if position != positions[tp]:
                    positions[tp], progressed_at = position, time.monotonic()
                if position >= end:
                    del remaining[tp]
                    consumer.pause(tp)
            if remaining and time.monotonic() - progressed_at > stall_s:
                behind = ", ".join(f"{tp.partition}@{positions[tp]}<{end}" for tp, end in remaining.items())
                raise RetroReadStalled(f"no progress reading {physical} for {stall_s:.0f} s ({behind})")
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return read, kept


def read_ranges_here(
    settings: Settings, ranges: Sequence[Range], keys: frozenset[str]
) -> tuple[int, list[Kept]]:
    """`read_ranges` in a process of its own (what the scan's process pool runs)."""
    return asyncio.run(read_ranges(settings, ranges, keys))


def shares(ranges: Sequence[Range], count: int) -> list[list[Range]]:
    """`ranges` in up to `count` shares of about equal work (records to read): the largest range first, each
    to the share with the least so far."""
    loads = [0] * max(1, count)
    groups: list[list[Range]] = [[] for _ in loads]
    for r in sorted(ranges, key=lambda r: r.end - r.start, reverse=True):
        least = loads.index(min(loads))
        groups[least].append(r)
        loads[least] += r.end - r.start
    return [group for group in groups if group]
