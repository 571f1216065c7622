"""Seed case 3 on the real broker: a guard's radio report at 00:12 opens a low-priority incident at the
Mingyuehu workstation; the follow-up (one caught, two fleeing inside the compound) attaches to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams import topics
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.kafka


def test_guard_report_and_follow_up(cluster: Cluster) -> None:
    cluster.start_worker()
    now = datetime.now(UTC)
    first = {
        "schema_version": 1,
        "report_id": "r-0012",
        "unit_id": "GUARD-BJ-017",
        "unit_kind": "security_guard",
        "kind": "suspicious_activity",
        "at": (now - timedelta(minutes=9)).isoformat(),  # reported nine minutes before the capture
        "count": 3,
        "place": {"lon": 119.4702, "lat": 32.4231, "address": "宝积半岛小区"},
        "text": "三名年轻男子在拉停放车辆的车门",
    }
    cluster.send(topics.PATROL_REPORTS, first, key="GUARD-BJ-017")
    cluster.flush()
    [opened] = cluster.read(topics.INCIDENTS, until=lambda m: len(m) >= 1)
    assert (
        opened["priority"] == 3 and opened["assigned_to"] == "WS-07"
    )  # 明月湖警务工作站 in the default layout
    follow_up = {
        "schema_version": 1,
        "report_id": "r-0021",
        "unit_id": "MOUNTED-03",
        "unit_kind": "mounted",
        "kind": "suspect_captured",
        "at": now.isoformat(),  # not in the future: a report from beyond the clock skew is refused
        "count": 1,
        "place": {"lon": 119.4712, "lat": 32.4236, "address": "宝积半岛小区东门"},
        "text": "抓获一人，另两人逃入小区",
    }
    cluster.send(topics.PATROL_REPORTS, follow_up, key="MOUNTED-03")
    cluster.flush()
    states = cluster.read(topics.INCIDENTS, until=lambda m: len(m) >= 2, settle=2)
    assert {s["incident_id"] for s in states} == {opened["incident_id"]}
    latest = states[-1]
    assert latest["captured"] == 1 and latest["status"] == "open"  # two still at large in the compound
    assert [a["report_id"] for a in latest["attachments"]] == ["r-0012", "r-0021"]
