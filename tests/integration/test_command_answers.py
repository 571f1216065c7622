"""Commands with an answer (issue 16.1) on the real broker: `citygate lift|alert|staff` as an operator runs
them, against a real worker. An unknown id is refused before anything is sent (exit 1); with no worker
running the command says so (exit 2); an applied command exits 0; a refusal by the worker (an operator
lifting a lockdown, a decision taken already, a command about no alert) exits 1 with the reason, and every
answer is on command.results and audit under its command id."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from streams import topics
from streams.signing import SigningKey
from tests.integration.conftest import Cluster, register
from tests.integration.test_drill import drill_call
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka

ALICE = SigningKey.generate("alice")  # an operator: may not lift


def citygate(cluster: Cluster, *args: str, key: SigningKey | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(cluster.env)
    if key is not None:
        path = cluster.workdir / f"{key.person_id}.key"
        if not path.exists():
            key.write(path)
        env["CITYGATE_OPERATOR_KEY_FILE"] = str(path)
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout + done.stderr).strip().splitlines()[-1]


def answers(cluster: Cluster, count: int) -> dict[str, dict[str, Any]]:
    found = cluster.read(topics.COMMAND_RESULTS, until=lambda m: len(m) >= count)
    return {str(a["command_id"]): a for a in found}


def command_id(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.split("sent (", 1)[1].split(")", 1)[0]


def test_an_unknown_id_is_refused_before_anything_is_sent(cluster: Cluster) -> None:
    done = citygate(cluster, "lift", "ld-0000", "--reason", "false_alarm", "--by", "c")
    assert done.returncode == 1
    assert last_line(done) == "Error: no lockdown 'ld-0000': no id is or starts with it"
    done = citygate(cluster, "alert", "accept", "al-0000", "--by", "op")
    assert done.returncode == 1 and "no alert 'al-0000'" in last_line(done)
    done = citygate(cluster, "watchlist", "remove", "WL-none", "--by", "o", "--reason", "r")
    assert done.returncode == 1 and "no listed watchlist entry 'WL-none'" in last_line(done)
    time.sleep(1)
    for topic in (topics.OPERATOR_COMMANDS, topics.WATCHLIST):
        assert cluster.read(topic, until=lambda m: True, settle=1) == []


def test_with_no_worker_running_the_command_says_so_and_exits_2(cluster: Cluster) -> None:
    # A lockdown as a worker wrote it earlier; the worker is gone now.
    lockdown_id = "ld-d3918d9132985631f277"
    event = {"lockdown_id": lockdown_id, "status": "active", "type": "raised", "plan": {"rings": []}}
    cluster.send(topics.LOCKDOWNS, {"schema_version": 1, **event}, key=lockdown_id)
    cluster.flush()
    started = time.monotonic()
    done = citygate(cluster, "lift", "ld-d391", "--reason", "false_alarm", "--by", "c", "--wait-timeout", "3")
    assert done.returncode == 2, done.stderr
    assert last_line(done) == "Error: no worker answered within 3 s: is a worker running?"
    assert f"lift_lockdown {lockdown_id} sent (cmd-" in done.stdout
    assert time.monotonic() - started < 60
    [sent] = cluster.read(topics.OPERATOR_COMMANDS, until=lambda m: len(m) >= 1)
    assert sent["target_id"] == lockdown_id  # the prefix was resolved before sending
    done = citygate(cluster, "lift", lockdown_id, "--reason", "false_alarm", "--by", "c", "--no-wait")
    assert done.returncode == 0 and "sent (cmd-" in done.stdout


def test_applied_commands_exit_0_and_refusals_by_the_worker_exit_1_with_the_reason(cluster: Cluster) -> None:
    register(cluster, ALICE, "operator")
    cluster.send(topics.WATCHLIST, live_entry("WL-A1", "苏K12345"), key="WL-A1")
    cluster.flush()
    cluster.start_worker()
    cluster.wait_past_listing()
    cluster.send(topics.HITS, live_hit("h-1", "苏K12345", checkpoint_id="YZ-EC-0001"), key="YZ-EC-0001")
    cluster.send(topics.CALLS, drill_call("110-ans-1"), key="110-ans-1")
    cluster.flush()
    [alert] = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 1)
    raised = cluster.read(topics.LOCKDOWNS, until=lambda m: any(e["type"] == "raised" for e in m))
    [lockdown] = [e for e in raised if e["type"] == "raised"]
    lockdown_id = str(lockdown["lockdown_id"])
    point = str(lockdown["plan"]["rings"][0]["required"][0])
    alert_id = str(alert["alert_id"])

    # An alert accepted by the prefix the console shows: applied, exit 0.
    done = citygate(cluster, "alert", "accept", alert_id[:11], "--by", "op-7", "--reason", "vehicle_stopped")
    assert done.returncode == 0, done.stdout + done.stderr
    assert last_line(done) == f"accept_hit {alert_id} applied"
    accepted = command_id(done)
    # The same decision again: the worker refuses it, exit 1, with who decided it first.
    done = citygate(cluster, "alert", "accept", alert_id, "--by", "op-7")
    assert done.returncode == 1
    assert last_line(done).startswith(
        f"Error: accept_hit {alert_id} refused (invalid_value): alert {alert_id}"
    )
    assert "is accepted already (by op-7 at" in last_line(done)
    twice = command_id(done)

    # An operator lifting a lockdown: not authorised, exit 1; the lockdown stays.
    done = citygate(cluster, "lift", lockdown_id[:11], "--reason", "false_alarm", "--by", "x", key=ALICE)
    assert done.returncode == 1
    assert last_line(done) == (
        f"Error: lift_lockdown {lockdown_id} refused (not_authorised): "
        "alice (operator) may not lift_lockdown: needs commander"
    )
    by_alice = command_id(done)
    # A point staffed (alice may), then the commander lifts: applied, exit 0; lifting again is refused.
    done = citygate(cluster, "staff", point, "--by", "x", "--reason", "radio_confirmed", key=ALICE)
    assert done.returncode == 0 and last_line(done) == f"staff_point {point} applied", done.stderr
    done = citygate(cluster, "lift", lockdown_id, "--reason", "false_alarm", "--by", "x")
    assert done.returncode == 0 and last_line(done) == f"lift_lockdown {lockdown_id} applied", done.stderr
    lifted = command_id(done)
    done = citygate(cluster, "lift", lockdown_id, "--reason", "false_alarm", "--by", "x")
    assert done.returncode == 1 and f"lockdown {lockdown_id} is lifted already (operator, " in last_line(done)

    # A command about an alert that does not exist, from another client: refused, answered all the same.
    cluster.send(
        topics.OPERATOR_COMMANDS,
        {
            "schema_version": 1,
            "command_id": "cmd-no-alert",
            "command": "accept_hit",
            "target_id": "al-000000000000000000000000",
            "operator_id": "op-7",
            "issued_at": datetime.now(UTC).isoformat(),
        },
        key="al-000000000000000000000000",
    )
    cluster.flush()
    found = answers(cluster, 7)
    assert found[accepted]["outcome"] == "applied" and found[accepted]["operator_id"] == "op-7"
    assert found[twice]["reason"]["code"] == "invalid_value"
    assert found[by_alice]["reason"]["code"] == "not_authorised" and found[by_alice]["operator_id"] == "alice"
    assert found[lifted]["outcome"] == "applied" and found[lifted]["operator_id"] == "op-7"
    assert found["cmd-no-alert"]["reason"] == {
        "code": "invalid_value",
        "detail": "no alert al-000000000000000000000000 (unknown, or older than the book)",
    }
    assert not any(a["reason"] and a["outcome"] == "applied" for a in found.values())
    # Each answer is on audit under its command id too: the change, or the refusal.
    audit = cluster.read(topics.AUDIT, until=lambda m: sum("command_id" in r for r in m) >= 7)
    by_command = {str(r["command_id"]): str(r["action"]) for r in audit if "command_id" in r}
    assert by_command[accepted] == "alert_accepted" and by_command[lifted] == "lockdown_lifted"
    assert by_command[by_alice] == "refused"  # who stands behind it
    assert by_command[twice] == by_command["cmd-no-alert"] == "command_refused"  # what it asked
