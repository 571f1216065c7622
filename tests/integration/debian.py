"""Debian packages a test tier needs (Prometheus, the browser), installed by the tests themselves when
missing: `make test` on a clean root Debian machine brings what it uses, and never skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

APT_TIMEOUT_S = 900


def ensure_packages(
    packages: Sequence[str], needed: Sequence[Path], timeout_s: float = APT_TIMEOUT_S
) -> None:
    """Install `packages` unless every path in `needed` exists (idempotent, bounded in time)."""
    if all(path.exists() for path in needed):
        return
    names = " ".join(packages)
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise AssertionError(
            f"{', '.join(str(p) for p in needed)} missing and this is not a root Debian machine: "
            f"install them with `sudo apt-get install -y --no-install-recommends {names}`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=120"]
    deadline = time.monotonic() + timeout_s
    outputs = []
    # A clean machine may have no package lists yet: install, and on failure update the lists once and retry.
    for step in ([*install, *packages], ["apt-get", "update", "-q"], [*install, *packages]):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            done = subprocess.run(
                step, env=env, capture_output=True, text=True, timeout=remaining, check=False
            )
        except subprocess.TimeoutExpired:
            outputs.append(f"$ {' '.join(step)}: timed out")
            break
        outputs.append(f"$ {' '.join(step)} → {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        if step[1] == "install" and done.returncode == 0:
            break
    if not all(path.exists() for path in needed):
        raise AssertionError(f"could not install {names} within {timeout_s:.0f}s:\n" + "\n".join(outputs))
