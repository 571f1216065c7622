"""How many loading helpers a worker starts (streams/worker/watchlist/loader.py): what it is told, or with
-1 two where it may use two CPUs or more, judged by its affinity and its cgroup's quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streams.settings import Settings
from streams.worker.watchlist.loader import AUTO, LoadJob, helpers_to_start, usable_cpus
from streams.worker.watchlist.retro_reader import Range


@pytest.mark.parametrize(
    ("setting", "cpus", "helpers"), [(0, 16, 0), (3, 1, 3), (AUTO, 1.5, 0), (AUTO, 2, 2), (AUTO, 8, 2)]
)
def test_helpers_are_what_the_setting_says_or_two_on_two_cpus(
    setting: int, cpus: float, helpers: int
) -> None:
    assert helpers_to_start(setting, cpus) == helpers


def test_a_cgroup_quota_lowers_the_usable_cpus(tmp_path: Path) -> None:
    affinity = float(len(os.sched_getaffinity(0)))
    assert usable_cpus(tmp_path) == affinity  # no cgroup files: the affinity
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert usable_cpus(tmp_path) == affinity
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert usable_cpus(tmp_path) == min(affinity, 0.5)
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert usable_cpus(tmp_path) == affinity
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("150000\n")
    assert usable_cpus(tmp_path) == min(affinity, 1.5)


def test_blocks_cover_a_range_once() -> None:
    job = LoadJob(Settings(), [], True, 1, 2, block_offsets=100)
    r = Range(0, 50, 401)
    assert job.blocks(r) == 4
    assert [job.block_end(r, b) for b in range(4)] == [150, 250, 350, 401]
