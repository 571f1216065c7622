"""Where this worker stands on each `anpr.hits` partition it holds: handled, committed, end.

Kept by the hits consumer's loop, read by /metrics (lag) and checkpoint health (which partitions are ours).
Pure bookkeeping with no I/O, so it is unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from streams import topics
from streams.lag import LagMap, consumer_lag


class OffsetLedger:
    """Where this worker stands on each `anpr.hits` partition it holds: handled, committed, end.

    Kept by the consumer loop, read by /metrics (lag) and checkpoint health (which partitions are ours).
    Pure bookkeeping with no I/O, so it is unit-tested on its own.
    """

    def __init__(self) -> None:
        self.rebalancing = True  # nothing held until the first assignment
        self._committed: dict[int, int | None] = {}
        self._handled: dict[int, int] = {}  # next offset after the last handled record, not yet committed
        self._highwater: dict[int, int | None] = {}

    def assigned(self, partitions: Collection[int]) -> None:
        """Partitions newly assigned; their committed offsets are learnt later (`learn_committed`)."""
        for partition in partitions:
            self._hold(partition)
        self.rebalancing = False

    def learn_committed(self, offsets: Mapping[int, int | None]) -> None:
        """The group's committed offsets as the broker said on assignment; never over a newer own commit."""
        for partition, offset in offsets.items():
            if partition in self._committed and self._committed[partition] is None:
                self._committed[partition] = offset

    def revoked(self, partitions: Collection[int]) -> None:
        self.rebalancing = True
        for partition in partitions:
            self._committed.pop(partition, None)
            self._handled.pop(partition, None)
            self._highwater.pop(partition, None)

    def holds(self, partition: int) -> bool:
        return partition in self._committed

    def partitions(self) -> set[int] | None:
        """Partitions held; None during a rebalance (unknown until it ends)."""
        return None if self.rebalancing else set(self._committed)

    def handled(self, partition: int, next_offset: int) -> None:
        self._hold(partition)  # records can come before the assignment callback has run
        self._handled[partition] = next_offset

    def moved_to(self, partition: int, position: int) -> None:
        """The consumer's position on a held partition, after its records so far were handled: past the
        offsets no record is read at (a transaction's commit marker), which the next commit must cover too
        or the partition shows a lag that never drains."""
        if partition not in self._committed:
            return
        known = self._handled.get(partition, self._committed[partition])
        if known is None or position > known:
            self._handled[partition] = position

    def seen_end(self, partition: int, highwater: int | None) -> None:
        if highwater is not None and partition in self._highwater:
            self._highwater[partition] = highwater

    def pending(self) -> dict[int, int]:
        """Offsets handled but not committed yet: what the next commit should write."""
        return dict(self._handled)

    def committed(self, offsets: Mapping[int, int]) -> None:
        for partition, offset in offsets.items():
            if partition in self._committed:
                self._committed[partition] = offset
            if self._handled.get(partition) == offset:
                del self._handled[partition]

    def lags(self) -> LagMap:
        """End offset − committed offset per held partition, as `consumer_lag` defines it."""
        ends = {(topics.HITS, p): end for p, end in self._highwater.items()}
        committed = {(topics.HITS, p): offset for p, offset in self._committed.items()}
        return consumer_lag(ends, committed)

    def _hold(self, partition: int) -> None:
        self._committed.setdefault(partition, None)
        self._highwater.setdefault(partition, None)
