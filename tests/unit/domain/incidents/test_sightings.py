"""Trajectories, intercept-ahead and ring breaches on the synthetic Yangzhou road graph."""

from datetime import UTC, datetime, timedelta

from streams.codecs import parse_call
from streams.domain.incidents.lifecycle import on_call
from streams.domain.incidents.sightings import on_sighting
from streams.domain.incidents.trajectory import bearing_deg, heading, intercept_ahead
from tests.unit.domain.incidents.test_correlation import yangzhou

T0 = datetime(2026, 8, 2, 12, 0, tzinfo=UTC)


def test_bearing_and_speed() -> None:
    assert round(bearing_deg((119.43, 32.39), (119.43, 32.40))) == 0
    assert round(bearing_deg((119.43, 32.39), (119.44, 32.39))) == 90
    moving = heading(((119.43, 32.39), T0), ((119.43, 32.40), T0 + timedelta(minutes=1)))
    assert moving is not None and 18 < moving.speed_mps < 19  # 1.11 km a minute ≈ 67 km/h
    assert heading(((119.43, 32.39), T0), ((119.43, 32.39), T0 + timedelta(minutes=1))) is None


def road_pair():
    """A checkpoint, the neighbour it came from, and the direction of travel along the road."""
    topology = yangzhou()
    for point in sorted(topology.points.values(), key=lambda p: p.id):
        if point.kind == "electronic_checkpoint" and point.ring is None and len(point.neighbours) >= 2:
            return topology, topology.points[point.neighbours[0]], point
    raise AssertionError("no road point with two neighbours")


def test_intercept_ahead_follows_the_road_away_from_where_it_came_from() -> None:
    topology, came_from, here = road_pair()
    moving = heading((came_from.location, T0), (here.location, T0 + timedelta(seconds=30)))
    assert moving is not None
    ahead = intercept_ahead(topology, here, moving, T0 + timedelta(seconds=30))
    assert ahead and came_from.id not in {a.point_id for a in ahead}
    assert [a.distance_m for a in ahead] == sorted(a.distance_m for a in ahead)
    assert all(a.earliest < a.latest for a in ahead)
    for point in ahead:
        turn = abs(
            (bearing_deg(here.location, topology.points[point.point_id].location) - moving.bearing_deg + 180)
            % 360
            - 180
        )
        assert turn < 90  # ahead, not behind


def getaway(vehicle_plate: str = "苏K8B693"):
    call = parse_call(
        "110-1",
        {
            "schema_version": 1,
            "call_id": "110-1",
            "received_at": T0.isoformat(),
            "place": {"lon": 119.4205, "lat": 32.3862, "address": "荷花池公园西门"},
            "category": "armed_robbery",
            "suspects": 2,
            "armed": True,
            "flight_mode": "foot",
            "vehicle": {"plate": vehicle_plate, "colour": None, "type": "car"},
        },
    )
    out = on_call(call, [], yangzhou(), T0)
    return out.incidents[0], out.lockdowns[0]


def alert(alert_id: str, checkpoint: str, minutes: float, direction: str = "inbound") -> dict:
    return {
        "alert_id": alert_id,
        "kind": "watchlist_match",
        "checkpoint_id": checkpoint,
        "plate": "苏K8B693",
        "direction": direction,
        "lane": 1,
        "event_time": (T0 + timedelta(minutes=minutes)).isoformat(),
    }


def test_successive_sightings_give_an_intercept_ahead_alert() -> None:
    topology, came_from, here = road_pair()
    incident, lockdown = getaway()
    first = on_sighting(alert("al-" + "1" * 24, came_from.id, 3), incident, lockdown, topology, T0)
    assert first.alerts == [] and len(first.outcome.incidents[0].sightings) == 1
    second = on_sighting(
        alert("al-" + "2" * 24, here.id, 4), first.outcome.incidents[0], lockdown, topology, T0
    )
    [ahead] = second.alerts
    assert (
        ahead.kind == "intercept_ahead" and ahead.priority == 1 and ahead.incident_id == incident.incident_id
    )
    assert ahead.intercept and ahead.intercept["points"]
    again = on_sighting(
        alert("al-" + "2" * 24, here.id, 4), second.outcome.incidents[0], lockdown, topology, T0
    )
    assert again.alerts == [] and again.outcome.incidents == []  # the same sighting twice is once


def test_outbound_through_a_closed_ring_is_a_breach_and_the_lockdown_moves_out() -> None:
    topology = yangzhou()
    incident, lockdown = getaway()
    assert lockdown.rings == ("core", "urban", "city")
    urban_checkpoint = next(p for p in topology.points_on("urban") if p.kind == "electronic_checkpoint")
    out = on_sighting(
        alert("al-" + "3" * 24, urban_checkpoint.id, 20, "outbound"), incident, lockdown, topology, T0
    )
    [breach] = [a for a in out.alerts if a.kind == "ring_breach"]
    assert breach.priority == 1 and breach.ring == "urban"
    [escalated] = out.outcome.events
    assert escalated["type"] == "escalated" and escalated["given_up"] == ["core", "urban"]
    assert escalated["rings"] == ["city"] and "breach" in escalated["cause"]
    inbound = on_sighting(alert("al-" + "4" * 24, urban_checkpoint.id, 21), incident, lockdown, topology, T0)
    assert not any(a.kind == "ring_breach" for a in inbound.alerts)


def test_a_lookout_first_seen_in_baoying_dispatches_the_taishan_workstation() -> None:
    from streams.domain.incidents.sightings import lookout_sighting

    topology = yangzhou()
    baoying = min(
        (p for p in topology.points.values() if p.kind == "electronic_checkpoint"),
        key=lambda p: (p.location[0] - 119.31) ** 2 + (p.location[1] - 33.23) ** 2,
    )
    sighting = {
        **alert("al-" + "5" * 24, baoying.id, 0),
        "incident_id": "HA-2026-0708-017",
        "match": {
            "entry_id": "WL-HA-1",
            "category": "lookout",
            "source_agency": "淮安市公安局",
            "reason": "涟水县高沟镇持刀抢劫，三名嫌疑人乘出租车逃离",
        },
    }
    found = lookout_sighting(sighting, topology, T0)
    assert found is not None and found.kind == "lookout_sighting" and found.priority == 1
    assert found.dispatch and topology.points[str(found.dispatch["workstation"])].name == "泰山警务工作站"
    assert found.intercept and found.intercept["points"]
    assert found.incident_id == "HA-2026-0708-017" and "淮安市公安局" in found.summary_zh


def lookout_alert(alert_id: str, checkpoint: str, minutes: float, state: str = "new") -> dict:
    return {
        **alert(alert_id, checkpoint, minutes),
        "state": state,
        "incident_id": "HA-2026-0708-017",
        "match": {
            "entry_id": "WL-HA-1",
            "category": "lookout",
            "source_agency": "淮安市公安局",
            "reason": "涟水县高沟镇持刀抢劫，三名嫌疑人乘出租车逃离",
        },
    }


def test_a_lookout_is_followed_after_its_first_sighting_like_an_incident_s_vehicle() -> None:
    from streams.domain.incidents.sightings import on_lookout

    topology, came_from, here = road_pair()
    first = on_lookout(lookout_alert("al-" + "6" * 24, came_from.id, 3), None, topology, T0)
    assert [a.kind for a in first.alerts] == ["lookout_sighting"] and first.record is not None
    assert len(first.record["sightings"]) == 1
    # The same sighting updated (dedup at the site): nothing new.
    same = on_lookout(lookout_alert("al-" + "6" * 24, came_from.id, 3, "updated"), first.record, topology, T0)
    assert same.record is None and same.alerts == []
    second = on_lookout(lookout_alert("al-" + "7" * 24, here.id, 4), first.record, topology, T0)
    [ahead] = second.alerts
    assert ahead.kind == "intercept_ahead" and ahead.priority == 1
    assert ahead.intercept and ahead.intercept["speed_mps"] > 0 and ahead.intercept["points"]
    assert ahead.incident_id == "HA-2026-0708-017" and ahead.plate == "苏K8B693"
    assert second.record is not None and len(second.record["sightings"]) == 2
    # Deterministic: the same sighting replayed gives the same alert id.
    replay = on_lookout(lookout_alert("al-" + "7" * 24, here.id, 4), first.record, topology, T0)
    assert [a.alert_id for a in replay.alerts] == [ahead.alert_id]


def test_sightings_found_hours_later_are_recorded_but_neither_intercepted_nor_breaches() -> None:
    """A retro-match finds where the getaway car was before the call: it belongs on the incident, but its
    points ahead have long been passed and it breached no ring that was not yet closed."""
    topology, came_from, here = road_pair()
    incident, lockdown = getaway()
    later = T0 + timedelta(hours=3)
    first = on_sighting(alert("al-" + "8" * 24, came_from.id, -30), incident, lockdown, topology, later)
    second = on_sighting(
        alert("al-" + "9" * 24, here.id, -29, "outbound"),
        first.outcome.incidents[0],
        lockdown,
        topology,
        later,
    )
    assert second.alerts == [] and second.outcome.events == []
    assert len(second.outcome.incidents[0].sightings) == 2
