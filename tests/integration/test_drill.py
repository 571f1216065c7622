"""The seed's "close the city gates" drill on the real broker.

A 110 call about five knife robbers at the west gate of Lotus Pond Park → incident and lockdown raised; units
report in → the core ring sealed; five captures → lifted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from streams import topics
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.kafka

LOTUS_POND_WEST_GATE = {"lon": 119.4205, "lat": 32.3862, "address": "荷花池公园西门"}


def drill_call(call_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "call_id": call_id,
        "received_at": datetime.now(UTC).isoformat(),
        "place": LOTUS_POND_WEST_GATE,
        "category": "armed_robbery",
        "suspects": 5,
        "armed": True,
        "flight_mode": "foot",
        "direction": "north",
        "vehicle": None,
        "caller_notes": "五名男子持刀抢劫后向北逃跑",
        **changes,
    }


def report(report_id: str, unit: str, kind: str, **changes: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "report_id": report_id,
        "unit_id": unit,
        "unit_kind": "patrol_car",
        "kind": kind,
        "at": datetime.now(UTC).isoformat(),
        **changes,
    }


def test_close_the_city_gates(cluster: Cluster) -> None:
    cluster.start_worker()
    cluster.send(topics.CALLS, drill_call("110-20260802-0001"), key="110-20260802-0001")
    cluster.flush()
    [raised] = cluster.read(topics.LOCKDOWNS, until=lambda m: len(m) >= 1)
    assert raised["type"] == "raised" and raised["rings"] == ["core", "urban", "city"]
    plan_rings = {r["ring"]: r for r in raised["plan"]["rings"]}
    assert all(plan_rings[r]["required"] for r in ("core", "urban", "city"))
    assert raised["plan"]["units"] and all(
        u["response_minutes"] in (1, 3, 5) for u in raised["plan"]["units"]
    )

    # A second caller, same robbery, 100 m away: merged into the incident, no second lockdown.
    second = drill_call("110-20260802-0002", place={**LOTUS_POND_WEST_GATE, "lon": 119.4215}, suspects=4)
    cluster.send(topics.CALLS, second, key="110-20260802-0002")
    # Bad calls and reports are dead-lettered; the desk keeps working.
    cluster.send(topics.CALLS, drill_call("110-bad-1", category="alien_landing"), key="110-bad-1")
    cluster.send(
        topics.CALLS, drill_call("110-bad-2", place={"lon": 500, "lat": 32.3, "address": ""}), key="110-bad-2"
    )
    cluster.send(topics.CALLS, drill_call("110-bad-3", suspects=-2), key="110-bad-3")
    cluster.send(
        topics.PATROL_REPORTS,
        report("r-bad", "RR-01", "arrived_at_point", point_id="NO-SUCH-POINT"),
        key="RR-01",
    )
    # Every unit reports in at the core ring's manned points: the core ring is sealed.
    for n, point in enumerate(plan_rings["core"]["required"]):
        cluster.send(
            topics.PATROL_REPORTS,
            report(f"r-{n}", f"U-{n}", "arrived_at_point", point_id=point),
            key=f"U-{n}",
        )
    cluster.flush()
    events = cluster.read(topics.LOCKDOWNS, until=lambda m: any(e["type"] == "ring_sealed" for e in m))
    staffed = [e for e in events if e["type"] == "point_staffed"]
    assert len(staffed) == len(plan_rings["core"]["required"])
    [sealed] = [e for e in events if e["type"] == "ring_sealed"]
    assert sealed["ring"] == "core" and sealed["time_to_seal_s"] >= 0
    assert sum(1 for e in events if e["type"] == "raised") == 1

    incident_id = raised["incident_id"]
    for n in range(5):
        cluster.send(
            topics.PATROL_REPORTS,
            report(f"cap-{n}", "U-0", "suspect_captured", incident_id=incident_id, count=1),
            key="U-0",
        )
    cluster.flush()
    events = cluster.read(topics.LOCKDOWNS, until=lambda m: any(e["type"] == "lifted" for e in m))
    [lifted] = [e for e in events if e["type"] == "lifted"]
    assert lifted["reason"] == "captured_all"
    incidents = cluster.read(topics.INCIDENTS, until=lambda m: any(i["status"] == "closed" for i in m))
    final = incidents[-1]
    assert final["call_ids"] == ["110-20260802-0001", "110-20260802-0002"] and final["captured"] == 5

    metrics = cluster.workers[0].metrics()
    assert 'citygate_lockdown_events_total{type="ring_sealed"} 1.0' in metrics
    assert 'citygate_time_to_seal_seconds_count{ring="core"} 1.0' in metrics
    assert 'citygate_lockdowns_active{ring="core"} 0.0' in metrics  # lifted
    letters = cluster.read(topics.DEADLETTER, until=lambda m: len(m) >= 4, settle=2)
    assert sorted(str(d["source"]["topic"]) for d in letters) == [topics.CALLS] * 3 + [topics.PATROL_REPORTS]
    assert any("unknown point" in str(d["reason"]["detail"]) for d in letters)  # type: ignore[index]
