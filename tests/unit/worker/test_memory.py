"""streams/worker/memory.py: glibc's allocator options are set, and a process's own choice is kept."""

from __future__ import annotations

import subprocess
import sys


def _run(env: dict[str, str]) -> str:
    code = "from streams.worker.memory import tune_malloc; print(sorted(tune_malloc().items()))"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_both_options_are_set_on_glibc() -> None:
    assert _run({"PATH": "/usr/bin:/bin"}) == "[('MALLOC_ARENA_MAX', 2), ('MALLOC_MMAP_THRESHOLD_', 131072)]"


def test_an_environment_that_chose_keeps_its_choice() -> None:
    assert _run({"PATH": "/usr/bin:/bin", "MALLOC_ARENA_MAX": "4"}) == "[('MALLOC_MMAP_THRESHOLD_', 131072)]"
