"""Every seed scenario, played against a worker on the real broker, verifies as met."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from streams.tools import scenario
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize("name", scenario.available())
def test_seed_scenario_is_met(cluster: Cluster, name: str) -> None:
    cluster.start_worker()
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "scenario", "run", name, "--speed", "600"],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "NOT MET" not in done.stdout and done.stdout.count("MET") == len(scenario.load(name)["expect"])
    expected = len(scenario.load(name)["expect"])
    last = done.stdout.rstrip().splitlines()[-1]
    assert re.fullmatch(rf"scenario {name} finished after \d+\.\d s: all {expected} outcomes met", last), last
    again = subprocess.run(
        [sys.executable, "-m", "streams.cli", "scenario", "verify", name],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
