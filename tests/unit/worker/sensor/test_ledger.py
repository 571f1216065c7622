"""The hits consumer's offset ledger: what the next commit writes, and the lag it reports."""

from __future__ import annotations

from streams import topics
from streams.worker.sensor.ledger import OffsetLedger


def held(*partitions: int, committed: int | None = None) -> OffsetLedger:
    ledger = OffsetLedger()
    ledger.assigned(partitions)
    ledger.learn_committed(dict.fromkeys(partitions, committed))
    return ledger


def test_a_position_past_a_commit_marker_is_committed_and_the_lag_drains() -> None:
    ledger = held(0, committed=0)
    ledger.handled(0, 3)  # three records handled; a commit marker at offset 3
    ledger.moved_to(0, 4)  # the consumer's position is past it
    assert ledger.pending() == {0: 4}
    ledger.committed({0: 4})
    ledger.seen_end(0, 4)
    assert ledger.lags() == {(topics.HITS, 0): 0}


def test_a_position_never_moves_the_commit_back_or_claims_a_partition_not_held() -> None:
    ledger = held(0, committed=10)
    ledger.moved_to(0, 10)
    ledger.moved_to(0, 7)  # a stale position (reset) is not a step back
    ledger.moved_to(5, 99)  # not ours
    assert ledger.pending() == {}
    ledger.handled(0, 12)
    ledger.moved_to(0, 11)
    assert ledger.pending() == {0: 12}


def test_a_new_groups_first_position_is_its_first_commit() -> None:
    ledger = held(1)  # no committed offset yet (a new group)
    ledger.moved_to(1, 0)
    assert ledger.pending() == {1: 0}
