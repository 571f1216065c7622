"""The retro scan's split of partitions into shares for its processes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.worker.watchlist.retro_reader import Range, shares

RANGES = st.lists(
    st.builds(
        lambda p, s, n: Range(p, s, s + n), st.integers(0, 63), st.integers(0, 10**6), st.integers(1, 10**5)
    ),
    max_size=16,
    unique_by=lambda r: r.partition,
)


@given(RANGES, st.integers(1, 4))
def test_every_range_is_in_exactly_one_share(ranges: list[Range], count: int) -> None:
    split = shares(ranges, count)
    assert len(split) <= count and all(split)
    assert sorted(r.partition for share in split for r in share) == sorted(r.partition for r in ranges)


def test_shares_are_about_equal_work() -> None:
    ranges = [Range(p, 0, n) for p, n in enumerate([100, 90, 60, 50, 40, 10, 5, 5])]
    loads = sorted(sum(r.end - r.start for r in share) for share in shares(ranges, 2))
    assert sum(loads) == 360 and loads[1] - loads[0] <= 40  # greedy, largest first: within one small range
