"""Offset arithmetic both sides share: how far a consumer group is behind, and where a read by time starts.

Pure (no client): the worker feeds it from aiokafka, the tools from kafka-python. Offsets are Kafka's "next
offset" positions: a partition's end offset is the offset the next record will get.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

# (logical topic name, partition) → messages behind.
LagMap = dict[tuple[str, int], int]

Partition = TypeVar("Partition", bound=Hashable)


def consumer_lag(
    end_offsets: Mapping[tuple[str, int], int | None], committed: Mapping[tuple[str, int], int | None]
) -> LagMap:
    """End offset − committed offset per partition.

    A partition whose end offset is unknown (not fetched yet) is left out. One the group has never committed
    counts from offset 0: an upper bound until the first commit (Faust also reports a committed 0 as None).
    """
    lag: LagMap = {}
    for tp, end in end_offsets.items():
        if end is None:
            continue
        lag[tp] = max(0, end - (committed.get(tp) or 0))
    return lag


def starts_by_time(
    found: Mapping[Partition, int | None], ends: Mapping[Partition, int]
) -> dict[Partition, int]:
    """Where a read "since a time" starts on each partition, given the offsets a client's `offsets_for_times`
    found (None: no record at or after the time) and the end offsets: the found offset, or the end (nothing
    to read there). A partition with nothing to read starts at its end, never before its start."""
    return {tp: end if found.get(tp) is None else min(int(found[tp] or 0), end) for tp, end in ends.items()}
