"""placeholder while building"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

PROMETHEUS = Path("/usr/bin/prometheus")
PROMTOOL = Path("/usr/bin/promtool")
APT_TIMEOUT_S = 600


def ensure_prometheus() -> None:
    """Install Debian's `prometheus` package unless its binaries are there (idempotent, bounded in time)."""
    if PROMETHEUS.exists() and PROMTOOL.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise AssertionError(
            f"{PROMETHEUS} is missing and this is not a root Debian machine: "
            "install it with `sudo apt-get install -y --no-install-recommends prometheus`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=120"]
    deadline = time.monotonic() + APT_TIMEOUT_S
    outputs = []
    # A clean machine may have no package lists yet: install, and on failure update the lists once and retry.
    for step in ([*install, "prometheus"], ["apt-get", "update", "-q"], [*install, "prometheus"]):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            done = subprocess.run(
                step, env=env, capture_output=True, text=True, timeout=remaining, check=False
            )
        except subprocess.TimeoutExpired:
            break
        outputs.append(f"$ {' '.join(step)} → {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        if step[1] == "install" and done.returncode == 0:
            break
    if not (PROMETHEUS.exists() and PROMTOOL.exists()):
        raise AssertionError(
            f"could not install Debian's prometheus within {APT_TIMEOUT_S}s:\n" + "\n".join(outputs)
        )
