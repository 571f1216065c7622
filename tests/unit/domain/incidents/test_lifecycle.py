from datetime import timedelta

import pytest

from streams.codecs import parse_call
from streams.domain.exceptions import InvalidInput
from streams.domain.incidents.lifecycle import (
    IncidentSettings,
    Lockdown,
    lift,
    on_arrival,
    on_call,
    on_capture,
    on_tick,
)
from tests.unit.domain.incidents.test_planner import CENTRE, CITY, T0

SETTINGS = IncidentSettings()


def call(call_id: str = "110-0001", minutes: float = 0, **changes: object):
    message = {
        "schema_version": 1,
        "call_id": call_id,
        "received_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "place": {"lon": CENTRE[0], "lat": CENTRE[1], "address": "荷花池公园西门"},
        "category": "armed_robbery",
        "suspects": 5,
        "armed": True,
        "flight_mode": "foot",
        "direction": None,
        "vehicle": None,
        "caller_notes": "五名男子持刀抢劫后逃跑",
    }
    message.update(changes)
    return parse_call(call_id, message)


def test_the_drill_from_call_to_lift() -> None:
    raised = on_call(call(), [], CITY, T0 + timedelta(minutes=1))
    [incident], [lockdown], [event] = raised.incidents, raised.lockdowns, raised.events
    assert incident.priority == 1 and incident.lockdown_id == lockdown.lockdown_id
    assert event["type"] == "raised" and event["rings"] == ["core", "urban", "city"]
    assert event["required"] == {"core": 4, "urban": 4, "city": 4}  # the blockade points; cameras only watch
    assert event["plan"]["units"][0]["unit_id"] == "RR-0"

    # A second caller about the same robbery, 3 minutes later, 100 m away: merged, no second lockdown.
    again = on_call(
        call(
            "110-0002", minutes=3, place={"lon": CENTRE[0] + 0.001, "lat": CENTRE[1], "address": "荷花池路"}
        ),
        [incident],
        CITY,
        T0 + timedelta(minutes=4),
    )
    assert again.lockdowns == [] and again.events == []
    assert again.incidents[0].call_ids == ("110-0001", "110-0002")

    events = []
    current: Lockdown = lockdown
    for n, point in enumerate(lockdown.required["core"]):
        out = on_arrival(point, T0 + timedelta(minutes=5 + n), [current], CITY)
        current = out.lockdowns[-1]
        events += out.events
    assert [e["type"] for e in events] == ["point_staffed"] * 4 + ["ring_sealed"]
    assert events[-1]["ring"] == "core" and events[-1]["time_to_seal_s"] == 7 * 60.0
    assert on_arrival(lockdown.required["core"][0], T0, [current], CITY).events == []  # twice is once

    inc = again.incidents[0]
    for _ in range(4):
        inc = on_capture(inc, 1, T0 + timedelta(minutes=60), current).incidents[-1]
    done = on_capture(inc, 1, T0 + timedelta(minutes=88), current)
    assert done.incidents[-1].status == "closed" and done.incidents[-1].closed_reason == "all_captured"
    assert [e["type"] for e in done.events] == ["lifted"] and done.events[0]["reason"] == "captured_all"


def test_a_call_naming_a_vehicle_watchlists_its_plate_for_the_incident() -> None:
    out = on_call(
        call(flight_mode="vehicle", vehicle={"plate": "苏K·8B693", "colour": "黑色", "type": "car"}),
        [],
        CITY,
        T0,
    )
    [listing] = out.listings
    assert listing["plate"] == "苏K8B693" and listing["incident_id"] == out.incidents[0].incident_id
    assert listing["category"] == "incident" and listing["valid_until"] > listing["valid_from"]


def test_minor_calls_open_no_lockdown_and_some_no_incident() -> None:
    assert on_call(call(category="fraud"), [], CITY, T0).incidents == []
    out = on_call(call(category="theft"), [], CITY, T0)
    assert out.incidents[0].priority == 2 and out.lockdowns == []


def test_other_category_or_far_away_or_later_does_not_merge() -> None:
    [first] = on_call(call(), [], CITY, T0).incidents
    assert (
        on_call(call("b", category="robbery"), [first], CITY, T0).incidents[0].incident_id
        != first.incident_id
    )
    far = call("c", place={"lon": CENTRE[0] + 0.02, "lat": CENTRE[1], "address": "x"})
    assert on_call(far, [first], CITY, T0).incidents[0].incident_id != first.incident_id
    assert on_call(call("d", minutes=11), [first], CITY, T0).incidents[0].incident_id != first.incident_id


def test_ticks_escalate_outward_and_expire() -> None:
    # A car reported a minute late is already too fast for the inner rings: only the city ring closes.
    assert on_call(call(flight_mode="vehicle"), [], CITY, T0 + timedelta(minutes=1)).lockdowns[0].rings == (
        "city",
    )
    [lockdown] = on_call(call(), [], CITY, T0 + timedelta(minutes=1)).lockdowns  # on foot: all three
    assert lockdown.rings == ("core", "urban", "city")
    assert on_tick(lockdown, CITY, T0 + timedelta(minutes=20), SETTINGS).events == []  # 2 km < 2.8 km
    out = on_tick(
        lockdown, CITY, T0 + timedelta(minutes=30), SETTINGS
    )  # 3 km on foot: the core may be crossed
    [escalated] = out.lockdowns
    assert escalated.rings == ("urban", "city") and escalated.given_up == ("core",)
    assert out.events[0]["type"] == "escalated" and out.events[0]["given_up"] == ["core"]
    assert on_tick(escalated, CITY, T0 + timedelta(minutes=31), SETTINGS).events == []
    assert on_tick(escalated, CITY, T0 + timedelta(hours=5), SETTINGS).events[0]["reason"] == "expired"


def test_unknown_points_and_bad_counts_are_refused() -> None:
    with pytest.raises(InvalidInput):
        on_arrival("NO-SUCH-POINT", T0, [], CITY)
    [incident] = on_call(call(), [], CITY, T0).incidents
    with pytest.raises(InvalidInput):
        on_capture(incident, 0, T0, None)


def test_lifting_twice_is_once_and_event_ids_are_stable() -> None:
    [lockdown] = on_call(call(), [], CITY, T0).lockdowns
    first = lift(lockdown, "operator", T0)
    assert lift(first.lockdowns[0], "operator", T0).events == []
    assert (
        first.events[0]["event_id"]
        == lift(lockdown, "operator", T0 + timedelta(minutes=1)).events[0]["event_id"]
    )


# --- when it happened (calls.110 occurred_at) ----------------------------------------------------------


def test_a_call_that_says_when_it_happened_starts_the_incident_then() -> None:
    called_late = call(occurred_at=(T0 - timedelta(minutes=20)).isoformat(), flight_mode="vehicle")
    prompt = call(flight_mode="vehicle")
    late = on_call(called_late, [], CITY, T0 + timedelta(minutes=1))
    now = on_call(prompt, [], CITY, T0 + timedelta(minutes=1))
    assert late.incidents[0].started_at == (T0 - timedelta(minutes=20)).isoformat()
    # The planner's reach counts from the crime, not the call: twenty more minutes of flight.
    late_plan, prompt_plan = late.events[0]["plan"], now.events[0]["plan"]
    assert late_plan["reach_m"] > prompt_plan["reach_m"]
    assert late.lockdowns[0].incident_time == late.incidents[0].started_at


def test_a_named_vehicle_is_listed_from_when_it_happened() -> None:
    happened = T0 - timedelta(minutes=15)
    vehicle = {"plate": "苏K8B693", "colour": "黑色", "type": "suv"}
    out = on_call(
        call(occurred_at=happened.isoformat(), vehicle=vehicle), [], CITY, T0 + timedelta(minutes=1)
    )
    [listing] = out.listings
    assert listing["valid_from"] == happened.isoformat()  # its sightings since the crime are retro-matched
    no_time = on_call(call(vehicle=vehicle), [], CITY, T0 + timedelta(minutes=1))
    assert no_time.listings[0]["valid_from"] == T0.isoformat()  # the call's time when the caller says none


def test_a_later_caller_who_knows_it_happened_earlier_moves_the_incident_back() -> None:
    first = on_call(call(), [], CITY, T0 + timedelta(minutes=1)).incidents[0]
    earlier = T0 - timedelta(minutes=5)
    merged = on_call(
        call("110-0002", minutes=2, occurred_at=earlier.isoformat()), [first], CITY, T0 + timedelta(minutes=3)
    )
    assert merged.incidents[0].started_at == earlier.isoformat()
    assert merged.incidents[0].call_ids == ("110-0001", "110-0002")


@pytest.mark.parametrize(
    ("occurred", "reason"),
    [(timedelta(minutes=1), "after received_at"), (-timedelta(hours=25), "more than 24 h before")],
)
def test_a_time_of_the_crime_after_the_call_or_days_before_it_is_refused(
    occurred: timedelta, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason) as refused:
        call(occurred_at=(T0 + occurred).isoformat())
    assert refused.value.code == "invalid_value"
