"""A command with no broker where it looks: one line naming the address and what to do, soon, non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.integration.conftest import free_port

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize(
    "args",
    [
        ["incidents"],
        ["watchlist", "remove", "WL-1", "--by", "op-1", "--reason", "other"],
        ["topics", "create"],
    ],
)
def test_no_broker_is_one_line_within_the_bootstrap_timeout(args: list[str]) -> None:
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    env = {**os.environ, "KAFKA_BOOTSTRAP": nowhere}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    took = time.monotonic() - started
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and nowhere in lines[0], done.stderr
    assert "deploy/local/kafka start" in lines[0] or "KAFKA_BOOTSTRAP" in lines[0]
    assert took < 40, f"took {took:.0f} s"  # the clients' own default is 30 s per client, several in a row
