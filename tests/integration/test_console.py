"""`citygate console --once` on the real broker: what it reads, from where, and what it draws."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from streams import topics
from streams.settings import Settings
from streams.tools.console import ConsoleError, run_console
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "schemas" / "examples"
HOUR_MS = 3600 * 1000


def example(topic: str, name: str, **changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((EXAMPLES / topic / "valid" / f"{name}.json").read_text())
    return {**message, **changes}


def send_at(cluster: Cluster, topic: str, value: dict[str, Any] | bytes, key: str, ago_ms: int) -> None:
    """Produce with a Kafka timestamp `ago_ms` in the past (the console seeks by timestamp)."""
    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    cluster.producer().send(
        cluster.settings.topic(topic),
        key=key.encode(),
        value=raw,
        timestamp_ms=int(time.time() * 1000) - ago_ms,
    )


def test_console_once_reads_the_lookback_the_incident_table_and_active_lockdowns(cluster: Cluster) -> None:
    # Alerts: one from before the lookback (not shown), one inside it, a ring breach now, a malformed one.
    old = example("alerts", "maximal", alert_id="al-" + "1" * 24, plate="苏K00001")
    recent = example("alerts", "ocr-equivalent-updated", alert_id="al-" + "2" * 24)
    breach = example(
        "alerts", "maximal", alert_id="al-" + "3" * 24, kind="ring_breach", plate="苏K8B693", ring="urban"
    )
    send_at(cluster, topics.ALERTS, old, old["alert_id"], ago_ms=3 * HOUR_MS)
    send_at(cluster, topics.ALERTS, recent, recent["alert_id"], ago_ms=HOUR_MS)
    send_at(cluster, topics.ALERTS, breach, breach["alert_id"], ago_ms=0)
    send_at(cluster, topics.ALERTS, b"{not json", "bad", ago_ms=0)
    # Incidents: a table, read whole however old; the closed one leaves the view.
    for name, ago in [
        ("lotus-pond-opened-lockdown-raised", 5 * HOUR_MS),
        ("lotus-pond-one-captured", HOUR_MS),
        ("hit-and-run-vehicle-plate-listed", 6 * HOUR_MS),
        ("baoji-peninsula-suspicious-activity-no-lockdown", 0),
    ]:
        message = example("incidents", name)
        send_at(cluster, topics.INCIDENTS, message, message["incident_id"], ago_ms=ago)
    closed = example(
        "incidents", "hit-and-run-vehicle-plate-listed", status="closed", closed_reason="operator"
    )
    send_at(cluster, topics.INCIDENTS, closed, closed["incident_id"], ago_ms=0)
    # Lockdowns: raised 3 h ago (older than the alert lookback, still active: shown), then sealed.
    for name, ago in [
        ("raised-lotus-pond-on-foot-three-rings", 3 * HOUR_MS),
        ("point_staffed-first-core-point", 3 * HOUR_MS - 60_000),
        ("point_staffed-last-core-point", 3 * HOUR_MS - 120_000),
        ("ring_sealed-core", 3 * HOUR_MS - 120_000),
    ]:
        event = example("lockdowns", name)
        send_at(cluster, topics.LOCKDOWNS, event, event["lockdown_id"], ago_ms=ago)
    # Input: hits just now (the console only counts them, from the end offsets).
    for n in range(30):
        cluster.send(topics.HITS, b'{"anything": 1}', key=f"YZ-EC-{n % 7:04d}")
    cluster.flush()

    out = io.StringIO()
    state = run_console(cluster.settings, once=True, console=Console(file=out, width=160))
    text = out.getvalue()

    assert "苏K00001" not in text and "苏KA2B45" in text and "! ring_breach" in text
    assert " +0800 · alerts of the last" in text  # the city's clock (CITYGATE_TIMEZONE), not the machine's
    assert text.index("苏K8B693") < text.index("苏KA2B45")  # P1 before P2
    assert "skipped 1 malformed (alerts 1)" in text
    assert "Open incidents (2)" in text and "inc-0148cf6eb5dc01dee6fe" in text
    assert "inc-f6fe7bfcc024b30d9497" not in text  # closed
    assert "Active lockdowns (1)" in text and "core  ██████████ 4/4 sealed" in text
    assert "armed_robbery · 荷花池公园西门" in text
    rate = state.rate(topics.HITS)
    assert rate is not None and rate > 0, text
    assert state.rate(topics.CALLS) == 0

    # The command as an operator runs it (`citygate console` is this command).
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "console", "--once", "--width", "160", "--lookback", "90m"],
        env=cluster.env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    printed = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert "alerts of the last 1h 30m" in printed and "苏KA2B45" in printed and "4/4 sealed" in printed

    # One alert in full, named by the prefix the list shows (and the list at 80 columns keeps the plate).
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "console", "--width", "80", "--alert", "al-33333333"],
        env=cluster.env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    printed = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert f"Alert {breach['alert_id']}" in printed and "ring_breach  P1" in printed
    assert "苏K8B693" in printed and "gw-yz-ec-01:20261129:0000418233" in printed


def test_console_says_which_topic_is_missing(kafka_bootstrap: str) -> None:
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix="no-such-prefix-e81f.")
    with pytest.raises(ConsoleError, match="no-such-prefix-e81f.alerts.*citygate topics create"):
        run_console(settings, once=True, console=Console(file=io.StringIO()))
