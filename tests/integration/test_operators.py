"""Operators on the real broker: accept/reject an alert, and the audit trail of every change."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streams import topics
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_hit

pytestmark = pytest.mark.kafka


def citygate(cluster: Cluster, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_reject_and_accept_reach_alerts_and_audit(cluster: Cluster) -> None:
    citygate(
        cluster,
        "watchlist",
        "add",
        "苏K12345",
        "--category",
        "stolen",
        "--reason",
        "车辆被盗",
        "--by",
        "officer-0042",
        "--id",
        "WL-1",
    )
    citygate(
        cluster,
        "watchlist",
        "add",
        "苏A00001",
        "--category",
        "wanted",
        "--reason",
        "追逃",
        "--by",
        "officer-0042",
        "--id",
        "WL-2",
    )
    cluster.start_worker()
    cluster.send(topics.HITS, live_hit("h1", "苏K12345", checkpoint_id="YZ-EC-0001"), key="YZ-EC-0001")
    cluster.send(topics.HITS, live_hit("h2", "苏A00001", checkpoint_id="YZ-EC-0002"), key="YZ-EC-0002")
    cluster.flush()
    alerts = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 2)
    by_entry = {a["match"]["entry_id"]: a["alert_id"] for a in alerts}  # type: ignore[index]

    citygate(cluster, "alert", "reject", str(by_entry["WL-1"]), "--by", "op-7", "--reason", "misread")
    citygate(cluster, "alert", "accept", str(by_entry["WL-2"]), "--by", "op-7", "--reason", "vehicle_stopped")
    cluster.send(
        topics.OPERATOR_COMMANDS,
        {
            "schema_version": 1,
            "command_id": "cmd-x",
            "command": "accept_hit",
            "target_id": "al-000000000000000000000000",
            "operator_id": "op-7",
            "issued_at": datetime.now(UTC).isoformat(),
        },
        key="al-000000000000000000000000",
    )
    cluster.flush()
    citygate(cluster, "watchlist", "remove", "WL-2", "--by", "officer-0043", "--reason", "已抓获")

    reviewed = cluster.read(topics.ALERTS, until=lambda m: sum(1 for a in m if a["review"]) >= 2)
    decisions = {a["alert_id"]: (a["state"], a["review"]["reason_code"]) for a in reviewed if a["review"]}  # type: ignore[index]
    assert decisions == {
        by_entry["WL-1"]: ("rejected", "misread"),
        by_entry["WL-2"]: ("accepted", "vehicle_stopped"),
    }

    audit = cluster.read(topics.AUDIT, until=lambda m: len(m) >= 6, settle=2)
    trail = sorted((r["action"], r["subject"], r["actor"], str(r["reason"]).split(" (")[0]) for r in audit)
    assert trail == sorted(
        [
            # The audited actor is the signer (the CLI's key: op-7), not the --by text.
            ("watchlist_upsert", "WL-1", "op-7", "车辆被盗"),
            ("watchlist_upsert", "WL-2", "op-7", "追逃"),
            ("alert_rejected", by_entry["WL-1"], "op-7", "misread"),
            ("alert_accepted", by_entry["WL-2"], "op-7", "vehicle_stopped"),
            ("watchlist_delete", "WL-2", "op-7", "已抓获"),  # the signer, not --by,
            # The command about no alert: refused, and its answer audited.
            (
                "command_refused",
                "al-000000000000000000000000",
                "op-7",
                "invalid_value: no alert al-000000000000000000000000",
            ),
        ]
    )
    letters = cluster.read(topics.DEADLETTER, until=lambda m: len(m) >= 1)
    assert letters[0]["source"]["topic"] == topics.OPERATOR_COMMANDS  # type: ignore[index]
    assert "no alert" in letters[0]["reason"]["detail"]  # type: ignore[index]


def test_csv_import_reports_bad_rows_and_imports_the_good_ones(cluster: Cluster, tmp_path: Path) -> None:
    csv_file = tmp_path / "huaian-lookouts.csv"
    csv_file.write_text(
        "plate,category,priority,reason,source_agency,covert\n"
        "苏H5Z261,lookout,2,持刀抢劫嫌疑车辆,淮安市公安局,false\n"
        "ABC123,lookout,2,bad plate,淮安市公安局,false\n"
        "苏H12345,lookout,9,bad priority,淮安市公安局,false\n"
        "苏HD8275,lookout,1,covert lookout,淮安市公安局,是\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "watchlist", "import", str(csv_file), "--by", "op-3"],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "imported 2 entries; 2 rows refused" in done.stdout
    assert (
        f"{csv_file}: line 3: plate:" in done.stderr
        and f"{csv_file}: line 4: field 'priority'" in done.stderr
    )
    listed = citygate(cluster, "watchlist", "list")
    assert "苏H5Z261" in listed and "苏HD8275" in listed and "covert" in listed and "ABC123" not in listed
