"""Incident-linked plates and a restart of the command side on the real broker."""

from __future__ import annotations

import time

import pytest

from streams import topics
from tests.integration.conftest import Cluster
from tests.integration.test_drill import drill_call
from tests.integration.test_hits_to_alerts import live_hit

pytestmark = pytest.mark.kafka


def test_getaway_car_is_watchlisted_and_state_survives_a_restart(cluster: Cluster) -> None:
    cluster.env["CITYGATE_SESSION_TIMEOUT_S"] = "6"
    first = cluster.start_worker("first")
    vehicle = {"plate": "苏K·8B693", "colour": "黑色", "type": "car"}
    cluster.send(topics.CALLS, drill_call("110-1", flight_mode="vehicle", vehicle=vehicle), key="110-1")
    cluster.flush()
    [raised] = cluster.read(topics.LOCKDOWNS, until=lambda m: len(m) >= 1)
    incident_id = raised["incident_id"]

    # The plate went on the watchlist for the incident: a checkpoint read becomes an alert tied to it.
    [listing] = cluster.read(topics.WATCHLIST, until=lambda m: len(m) >= 1)
    assert listing["plate"] == "苏K8B693" and listing["incident_id"] == incident_id
    cluster.wait_past_listing()  # a live sighting, not one the retro-match finds
    cluster.send(topics.HITS, live_hit("seen-1", "苏K8B693", checkpoint_id="YZ-EC-0042"), key="YZ-EC-0042")
    cluster.flush()
    [alert] = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 1)
    assert alert["incident_id"] == incident_id and alert["match"]["category"] == "incident"  # type: ignore[index]

    time.sleep(4)  # past a commit: the lockdown is in the table's changelog
    first.kill()
    cluster.start_worker("second")
    cluster.send(topics.CALLS, drill_call("110-2", flight_mode="vehicle", suspects=3), key="110-2")
    cluster.flush()
    incidents = cluster.read(
        topics.INCIDENTS, until=lambda m: any(len(i["call_ids"]) == 2 for i in m), settle=3
    )
    assert {i["incident_id"] for i in incidents} == {incident_id}  # merged after the restart, not a new one
    lockdowns = cluster.read(topics.LOCKDOWNS, until=lambda m: True, settle=1)
    assert len({e["event_id"] for e in lockdowns if e["type"] == "raised"}) == 1

    # Operators see it from the command line, and the commander lifts it.
    from tests.integration.test_operators import citygate

    assert incident_id in citygate(cluster, "incidents")
    listed = citygate(cluster, "lockdowns")
    assert raised["lockdown_id"] in listed and "rings " in listed
    citygate(cluster, "lift", str(raised["lockdown_id"]), "--reason", "situation_resolved", "--by", "cmdr-01")
    events = cluster.read(topics.LOCKDOWNS, until=lambda m: any(e["type"] == "lifted" for e in m))
    assert [e["reason"] for e in events if e["type"] == "lifted"] == ["operator"]
    audit = cluster.read(topics.AUDIT, until=lambda m: any(a["action"] == "lockdown_lifted" for a in m))
    [record] = [a for a in audit if a["action"] == "lockdown_lifted"]
    # The signer (CITYGATE_OPERATOR_KEY_FILE: the tests' officer), not the --by text.
    assert record["actor"] == "op-7" and record["reason"] == "situation_resolved"
    assert raised["lockdown_id"] not in citygate(cluster, "lockdowns")
