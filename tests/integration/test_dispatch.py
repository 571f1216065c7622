"""Dispatch on the real broker (issue 19, done means): a call with registered units at known positions gets
the right proposal (by road, armed units for armed suspects), `citygate dispatch` applies it ("one key"),
the first unit's arrival closes the loop on the incident with the right response time, and
`citygate report response` prints it and draws the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streams import topics
from streams.domain.forces.travel import Candidate, RoadGraph, rank
from streams.topology_file import load_topology
from tests.integration.conftest import Cluster
from tests.integration.test_command_answers import citygate
from tests.integration.test_drill import drill_call

pytestmark = pytest.mark.kafka

# Where each unit radios from (workstations of the synthetic layout), and the scene: WS-03.
POSITIONS = {"A-1": "WS-05", "A-2": "WS-11", "A-3": "WS-07", "UNARMED": "WS-03"}
UNITS_CSV = (
    "unit_id,kind,home_workstation,capabilities\n"
    "A-1,motor_patrol,WS-05,armed vehicle\n"
    "A-2,workstation_unit,WS-11,armed vehicle\n"
    "A-3,motor_patrol,WS-07,armed vehicle\n"
    "UNARMED,motor_patrol,WS-03,vehicle\n"  # right at the scene, but the suspects are armed
)


def position(unit_id: str, place: tuple[float, float], at: datetime) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "report_id": f"{unit_id}-{at.timestamp()}",
        "unit_id": unit_id,
        "unit_kind": "patrol_car",
        "kind": "position",
        "at": at.isoformat(),
        "place": {"lon": place[0], "lat": place[1]},
    }


def test_a_call_gets_the_right_proposal_a_dispatch_and_the_arrival_s_response_time(
    cluster: Cluster, tmp_path: Path
) -> None:
    topology = load_topology(cluster.settings)
    places = {unit: topology.points[point].location for unit, point in POSITIONS.items()}
    scene = topology.points["WS-03"].location
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    assert citygate(cluster, "units", "import", str(units)).returncode == 0
    cluster.start_worker()
    now = datetime.now(UTC)
    for unit_id, place in places.items():
        cluster.send(topics.PATROL_REPORTS, position(unit_id, place, now), key=unit_id)
    cluster.flush()
    cluster.read(topics.UNITS_STATE, until=lambda found: {s["unit_id"] for s in found} >= set(POSITIONS))

    received = datetime.now(UTC)
    call = drill_call(
        "110-dispatch-1",
        received_at=received.isoformat(),
        place={"lon": scene[0], "lat": scene[1], "address": "文昌中路"},
    )
    cluster.send(topics.CALLS, call, key=call["call_id"])
    cluster.flush()
    [incident] = cluster.read(topics.INCIDENTS, until=lambda found: any(i["proposal"] for i in found))[-1:]
    expected = rank(
        RoadGraph.of(topology),
        scene,
        [Candidate(u, places[u], True) for u in ("A-1", "A-2", "A-3")],
        3,
    )
    assert [p["unit_id"] for p in incident["proposal"]] == [j.unit_id for j in expected]
    assert [p["travel_s"] for p in incident["proposal"]] == [round(j.travel_s, 1) for j in expected]
    incident_id = str(incident["incident_id"])

    # One key: the proposal is sent; the answer names the units and their times by road.
    done = citygate(cluster, "dispatch", incident_id[:12], "--by", "op-7")
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith(f"dispatch {incident_id} applied: sent {expected[0].unit_id} (~"), last
    sent = cluster.read(topics.DISPATCHES, until=lambda found: len(found) >= 3)
    assert [d["unit_id"] for d in sent] == [j.unit_id for j in expected]
    assert {d["event"] for d in sent} == {"dispatched"}

    # The first unit radios from the scene: on scene, the incident's response time is call → arrival.
    first = expected[0].unit_id
    arrived_at = datetime.now(UTC) + timedelta(seconds=1)
    cluster.send(topics.PATROL_REPORTS, position(first, scene, arrived_at), key=first)
    cluster.flush()
    arrivals = cluster.read(
        topics.DISPATCHES, until=lambda found: any(d["event"] == "arrived" for d in found)
    )
    [arrival] = [d for d in arrivals if d["event"] == "arrived"]
    assert arrival["unit_id"] == first and arrival["arrived_at"] == arrived_at.isoformat()
    updated = cluster.read(
        topics.INCIDENTS,
        until=lambda found: any(e["arrived_at"] for i in found for e in i["dispatches"]),
    )[-1]
    entry = next(e for e in updated["dispatches"] if e["arrived_at"])
    response_s = (datetime.fromisoformat(entry["arrived_at"]) - received).total_seconds()
    assert entry["unit_id"] == first and response_s == pytest.approx((arrived_at - received).total_seconds())

    # The briefing: one call, responded, its median response that arrival; the chart written.
    chart = tmp_path / "response.png"
    report = citygate(cluster, "report", "response", "--since", "1h", "--png", str(chart))
    assert report.returncode == 0, report.stderr
    row = next(line.split() for line in report.stdout.splitlines() if line.startswith("all "))
    minutes, seconds = divmod(round(response_s), 60)
    assert row[1] == "1" and row[4] == f"{minutes}:{seconds:02d}" and row[-1] == "1"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_citygate_seal_sends_a_registered_unit_to_each_point_and_their_arrival_seals_the_ring(
    cluster: Cluster, tmp_path: Path
) -> None:
    topology = load_topology(cluster.settings)
    homes = sorted(p.id for p in topology.points.values() if p.kind == "rapid_response_point")[:40]
    units = tmp_path / "units.csv"
    units.write_text(
        "unit_id,kind,home_workstation,capabilities\n"
        + "".join(f"S-{n},motor_patrol,{home},vehicle\n" for n, home in enumerate(homes)),
        encoding="utf-8",
    )
    assert citygate(cluster, "units", "import", str(units)).returncode == 0
    cluster.start_worker()
    call = drill_call("110-seal-1")
    cluster.send(topics.CALLS, call, key=call["call_id"])
    cluster.flush()
    [raised] = [
        e
        for e in cluster.read(topics.LOCKDOWNS, until=lambda found: any(e["type"] == "raised" for e in found))
        if e["type"] == "raised"
    ]
    lockdown_id = str(raised["lockdown_id"])
    core = next(r for r in raised["plan"]["rings"] if r["ring"] == "core")["required"]
    assert 0 < len(core) <= len(homes)

    done = citygate(cluster, "seal", lockdown_id[:11], "--ring", "core", "--by", "op-7")
    assert done.returncode == 0, done.stdout + done.stderr
    applied = [line for line in done.stdout.splitlines() if " applied: sent " in line]
    assert [line.split()[1] for line in applied] == core  # one dispatch per point, in the plan's order
    sent = cluster.read(topics.DISPATCHES, until=lambda found: len(found) >= len(core))
    assert sorted(d["point_id"] for d in sent) == sorted(core)
    assert len({d["unit_id"] for d in sent}) == len(core)  # a different unit for each point

    # Each unit radios its position from its point: staffed, and the core ring sealed.
    for dispatch in sent:
        point = topology.points[str(dispatch["point_id"])].location
        unit_id = str(dispatch["unit_id"])
        cluster.send(topics.PATROL_REPORTS, position(unit_id, point, datetime.now(UTC)), key=unit_id)
    cluster.flush()
    events = cluster.read(
        topics.LOCKDOWNS,
        until=lambda found: any(e["type"] == "ring_sealed" and e["ring"] == "core" for e in found),
    )
    assert {e["point_id"] for e in events if e["type"] == "point_staffed"} == set(core)
    again = citygate(cluster, "seal", lockdown_id, "--ring", "core", "--by", "op-7")
    assert again.returncode == 1 and "has no point left to staff in core" in again.stderr
