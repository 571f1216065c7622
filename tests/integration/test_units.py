"""`citygate units` on the real broker: import a CSV whole or not at all, list it back, retire a unit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from streams import topics
from tests.integration.conftest import Cluster

pytestmark = pytest.mark.kafka

UNITS_CSV = """unit_id,kind,home_workstation,radio_id,capabilities,name
MP-07,motor_patrol,WS-03,R-4407,armed vehicle,机动巡逻 7组
WS03-F1,workstation_unit,WS-03,R-5301,foot,荷花池 步巡 1
SG-BAOJI-02,security_guard,WS-11,,foot,宝吉半岛 夜班保安
"""


def citygate(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_import_list_and_retire(cluster: Cluster, tmp_path: Path) -> None:
    good = tmp_path / "units.csv"
    good.write_text(UNITS_CSV, encoding="utf-8")
    imported = citygate(cluster, "units", "import", str(good))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == f"registered 3 units from {good}"

    records = cluster.read(topics.UNITS, until=lambda found: len(found) >= 3)
    assert {r["unit_id"] for r in records} == {"MP-07", "WS03-F1", "SG-BAOJI-02"}
    assert next(r for r in records if r["unit_id"] == "MP-07")["capabilities"] == ["armed", "vehicle"]

    listed = citygate(cluster, "units", "list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 3
    assert "机动巡逻 7组" in listed.stdout

    retired = citygate(cluster, "units", "retire", "SG-BAOJI-02")
    assert retired.returncode == 0 and retired.stdout.strip() == "retired unit SG-BAOJI-02"
    again = citygate(cluster, "units", "retire", "SG-BAOJI-02")
    assert again.returncode == 0 and "already retired" in again.stdout
    listed = citygate(cluster, "units", "list")
    assert "SG-BAOJI-02" not in listed.stdout and len(listed.stdout.splitlines()) == 2
    assert "(retired)" in citygate(cluster, "units", "list", "--all").stdout
    unknown = citygate(cluster, "units", "retire", "NOBODY")
    assert unknown.returncode == 1 and unknown.stderr.strip().startswith("Error: no unit 'NOBODY'")
    assert "Traceback" not in unknown.stderr


def test_a_file_with_a_bad_row_imports_nothing_and_names_every_defect(
    cluster: Cluster, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        UNITS_CSV.replace("WS-11", "WS-99") + "MP-07,motor_patrol,WS-03,,armed flying,\n", encoding="utf-8"
    )
    refused = citygate(cluster, "units", "import", str(bad))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "line 4: home_workstation 'WS-99' is not a workstation" in refused.stderr
    assert "line 5: capabilities 'flying' not among" in refused.stderr
    assert "nothing was imported" in refused.stderr
    written = cluster.read(topics.UNITS, until=lambda found: True, settle=1.0)
    assert written == []


def test_a_worker_publishes_each_units_state_from_its_radio_reports(cluster: Cluster) -> None:
    from datetime import UTC, datetime, timedelta

    cluster.start_worker()
    now = datetime.now(UTC)
    for n, (unit_id, lon) in enumerate([("MP-07", 119.431), ("WS03-F1", 119.402), ("MP-07", 119.433)]):
        report = {
            "schema_version": 1,
            "report_id": f"{unit_id}-{n}",
            "unit_id": unit_id,
            "unit_kind": "patrol_car",
            "kind": "position",
            "at": (now + timedelta(seconds=n)).isoformat(),
            "place": {"lon": lon, "lat": 32.395},
        }
        cluster.send(topics.PATROL_REPORTS, report, key=unit_id)
    cluster.flush()
    states = cluster.read(topics.UNITS_STATE, until=lambda found: len(found) >= 3)
    last = {s["unit_id"]: s for s in states}
    assert set(last) == {"MP-07", "WS03-F1"}
    assert last["MP-07"]["position"] == {"lon": 119.433, "lat": 32.395}
    assert last["MP-07"]["status"] == "available" and last["MP-07"]["position_stale"] is False


def test_the_simulator_moves_the_registrys_units(cluster: Cluster, tmp_path: Path) -> None:
    empty = citygate(cluster, "simulate", "--units-from-registry", "--seconds", "60", "--speed", "60")
    assert empty.returncode == 1 and "the unit registry has no active unit" in empty.stderr
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    assert citygate(cluster, "units", "import", str(units)).returncode == 0
    run = citygate(
        cluster, "simulate", "--units-from-registry", "--rate", "0.01", "--seconds", "1800", "--speed", "900"
    )
    assert run.returncode == 0, run.stderr
    assert "3 units from the unit registry" in run.stdout
    reports = cluster.read(topics.PATROL_REPORTS, until=lambda found: len(found) >= 3, settle=1.0)
    assert {r["unit_id"] for r in reports} <= {"MP-07", "WS03-F1", "SG-BAOJI-02"} and reports


def test_the_proposal_ranks_registered_units_by_road_from_their_reported_positions(
    cluster: Cluster, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from streams.domain.forces.travel import Candidate, RoadGraph, rank
    from streams.topology_file import load_topology

    topology = load_topology(cluster.settings)
    places = {p: topology.points[p].location for p in ("WS-03", "WS-05", "WS-11")}
    units = tmp_path / "units.csv"
    units.write_text(
        "unit_id,kind,home_workstation,capabilities\n"
        "NEAR,motor_patrol,WS-11,armed vehicle\n"  # reports from right at WS-03
        "FAR,motor_patrol,WS-03,armed vehicle\n"  # reports from WS-11
        "HOME,workstation_unit,WS-05,foot\n"  # never reports: at its home
        "UNARMED,motor_patrol,WS-03,vehicle\n",
        encoding="utf-8",
    )
    assert citygate(cluster, "units", "import", str(units)).returncode == 0
    cluster.start_worker()
    now = datetime.now(UTC).isoformat()
    for unit_id, point in (("NEAR", "WS-03"), ("FAR", "WS-11")):
        lon, lat = places[point]
        report = {
            "schema_version": 1,
            "report_id": f"{unit_id}-1",
            "unit_id": unit_id,
            "unit_kind": "patrol_car",
            "kind": "position",
            "at": now,
            "place": {"lon": lon, "lat": lat},
        }
        cluster.send(topics.PATROL_REPORTS, report, key=unit_id)
    cluster.flush()
    cluster.read(topics.UNITS_STATE, until=lambda found: {s["unit_id"] for s in found} >= {"NEAR", "FAR"})

    proposed = citygate(cluster, "units", "propose", "--point", "WS-03", "--needs", "armed", "--count", "3")
    assert proposed.returncode == 0, proposed.stderr
    lines = proposed.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["NEAR", "FAR"]  # HOME is unarmed too: not proposed
    assert "from report" in lines[0] and "0.00 km by road" in lines[0]
    anyone = citygate(cluster, "units", "propose", "--point", "WS-03", "--count", "4").stdout.splitlines()
    graph = RoadGraph.of(topology)
    expected = rank(
        graph,
        places["WS-03"],
        [
            Candidate("NEAR", places["WS-03"], True),
            Candidate("FAR", places["WS-11"], True),
            Candidate("HOME", places["WS-05"], False),
            Candidate("UNARMED", places["WS-03"], True),  # never reported: at its home, WS-03
        ],
        4,
    )
    assert [line.split()[1] for line in anyone] == [j.unit_id for j in expected]
    assert "from home" in next(line for line in anyone if " HOME " in line)
    nobody = citygate(
        cluster, "units", "propose", "--at", "119.43,32.39", "--needs", "armed", "--needs", "foot"
    )
    assert nobody.returncode == 1 and "no active, available unit able to be armed, foot" in nobody.stderr
