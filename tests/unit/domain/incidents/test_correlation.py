"""Report ↔ incident correlation, with the seed's guard report (case 3) as the acceptance story."""

from datetime import UTC, datetime, timedelta
from functools import cache

from streams.codecs import parse_call, parse_report
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import Topology, load
from streams.domain.incidents.correlation import THRESHOLD, best_match, on_report, score
from streams.domain.incidents.lifecycle import on_call

BAOJI_PENINSULA = {"lon": 119.4702, "lat": 32.4231, "address": "宝积半岛小区"}
NIGHT = datetime(2026, 7, 21, 16, 12, tzinfo=UTC)  # 00:12 on 22 July in Yangzhou


@cache
def yangzhou() -> Topology:
    return load(generate_topology(2022))


def report(report_id: str, kind: str, minutes: float = 0, **changes: object):
    message = {
        "schema_version": 1,
        "report_id": report_id,
        "unit_id": "GUARD-BJ-017",
        "unit_kind": "security_guard",
        "kind": kind,
        "at": (NIGHT + timedelta(minutes=minutes)).isoformat(),
        "place": BAOJI_PENINSULA,
        "text": None,
        **changes,
    }
    return parse_report("GUARD-BJ-017", message)


def test_guard_report_opens_a_low_priority_incident_at_the_mingyuehu_workstation() -> None:
    out = on_report(
        report("r1", "suspicious_activity", count=3, text="三名年轻男子在拉停放车辆的车门"),
        [],
        {},
        yangzhou(),
        NIGHT,
    )
    [incident] = out.incidents
    assert incident.priority == 3 and incident.category == "suspicious_activity" and incident.suspects == 3
    assert yangzhou().points[incident.assigned_to or ""].name == "明月湖警务工作站"
    assert len(incident.suggested_units) == 4 and incident.suggested_units[-1] == incident.assigned_to
    assert out.lockdowns == []

    # Mounted police catch one; two flee into the compound: the follow-up attaches to the same incident.
    follow_up = report(
        "r2",
        "suspect_captured",
        minutes=9,
        count=1,
        unit_kind="mounted",
        place={"lon": 119.4712, "lat": 32.4236, "address": "宝积半岛小区东门"},
    )
    out = on_report(follow_up, [incident], {}, yangzhou(), NIGHT + timedelta(minutes=9))
    [updated] = out.incidents
    assert updated.incident_id == incident.incident_id and updated.captured == 1 and updated.status == "open"
    assert updated.attachments[-1]["report_id"] == "r2" and updated.attachments[-1]["score"] >= THRESHOLD
    assert (
        "unit GUARD-BJ-017 is not in the unit registry" in updated.attachments[-1]["reasons"]
    )  # flagged, kept
    assert any("m from the incident" in reason for reason in updated.attachments[-1]["reasons"])


def test_physically_impossible_reports_are_not_attached() -> None:
    [incident] = on_report(report("r1", "suspicious_activity", count=3), [], {}, yangzhou(), NIGHT).incidents
    far = report("r3", "sighting", minutes=2, count=2, place={"lon": 119.40, "lat": 32.39, "address": "x"})
    assert score(far, incident) is None  # 7 km in 2 minutes on foot
    late = report("r4", "sighting", minutes=300, count=2)
    assert score(late, incident) is None  # hours later
    nowhere = report("r5", "sighting", minutes=2, count=2, place=None)
    assert best_match(nowhere, [incident]) is None


def test_a_plate_ties_a_sighting_to_the_incident_that_named_it() -> None:
    call = parse_call(
        "110-9",
        {
            "schema_version": 1,
            "call_id": "110-9",
            "received_at": NIGHT.isoformat(),
            "place": {"lon": 119.42, "lat": 32.39, "address": "文昌中路"},
            "category": "hit_and_run",
            "suspects": 1,
            "armed": False,
            "flight_mode": "vehicle",
            "vehicle": {"plate": "苏K8B693", "colour": None, "type": "car"},
        },
    )
    [incident] = on_call(call, [], yangzhou(), NIGHT).incidents
    sighting = report(
        "r6", "sighting", minutes=10, plate="苏K8B693", place={"lon": 119.50, "lat": 32.40, "address": "x"}
    )
    attachment = score(sighting, incident)
    assert attachment is not None and attachment.score >= 0.6
    assert any("plate" in reason for reason in attachment.reasons)


def test_a_report_naming_its_incident_attaches_with_full_score() -> None:
    [incident] = on_report(report("r1", "suspicious_activity", count=3), [], {}, yangzhou(), NIGHT).incidents
    named = report("r7", "sighting", minutes=500, incident_id=incident.incident_id, place=None)
    attachment = score(named, incident)
    assert attachment is not None and attachment.score == 1.0
