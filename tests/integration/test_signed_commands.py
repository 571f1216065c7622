"""Signed operator commands on the real broker (issue 15.4): a forged, a replayed and an unauthorised
command (an operator lifting a lockdown) are each one dead letter and one audit record and change nothing;
a commander's correctly signed lift takes effect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from streams import topics
from streams.codecs.signed import signed_message
from streams.signing import SigningKey
from tests.integration.conftest import Cluster, register
from tests.integration.test_drill import drill_call

pytestmark = pytest.mark.kafka

ALICE = SigningKey.generate("alice")  # operator
CAROL = SigningKey.generate("carol")  # commander
EVE = SigningKey.generate("eve")  # nobody


def lift(lockdown_id: str, command_id: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "command_id": command_id,
        "command": "lift_lockdown",
        "target_id": lockdown_id,
        "operator_id": "carol",
        "issued_at": datetime.now(UTC).isoformat(),
        "reason_code": "false_alarm",
    }


def test_forged_replayed_and_unauthorised_lifts_are_refused_and_a_commanders_takes_effect(
    cluster: Cluster,
) -> None:
    register(cluster, ALICE, "operator")
    register(cluster, CAROL, "commander")
    cluster.start_worker().wait_healthy()
    cluster.send(topics.CALLS, drill_call("110-sig-1"), key="110-sig-1")
    cluster.flush()
    raised = cluster.read(topics.LOCKDOWNS, until=lambda m: any(e["type"] == "raised" for e in m))
    lockdown_id = str(next(e["lockdown_id"] for e in raised if e["type"] == "raised"))

    # Eve signs and claims to be carol: forged.
    forged = lift(lockdown_id, "cmd-forged")
    forged = signed_message(forged, EVE.sign(topic=topics.OPERATOR_COMMANDS, key=lockdown_id, value=forged))
    forged["signature"]["signer"] = "carol"  # type: ignore[index]
    cluster.send(topics.OPERATOR_COMMANDS, orjson.dumps(forged), key=lockdown_id)
    # Alice is an operator: she may not lift.
    cluster.send(topics.OPERATOR_COMMANDS, lift(lockdown_id, "cmd-alice"), key=lockdown_id, signed_by=ALICE)
    # Alice's command again, byte for byte: replayed.
    staff = {**lift("P-none", "cmd-staff"), "command": "staff_point", "reason_code": None}
    staffed = signed_message(staff, ALICE.sign(topic=topics.OPERATOR_COMMANDS, key="P-none", value=staff))
    cluster.send(topics.OPERATOR_COMMANDS, orjson.dumps(staffed), key="P-none")
    cluster.send(topics.OPERATOR_COMMANDS, orjson.dumps(staffed), key="P-none")
    cluster.flush()
    letters = cluster.read(
        topics.DEADLETTER,
        until=lambda m: {"bad_signature", "not_authorised", "replayed"} <= {d["reason"]["code"] for d in m},  # type: ignore[index]
        settle=2,
    )
    refusals = {"unsigned", "bad_signature", "unknown_signer", "revoked_signer", "not_authorised", "replayed"}
    codes = sorted(
        code
        for d in letters
        if (code := str(d["reason"]["code"])) in refusals  # type: ignore[index]
    )
    assert codes == ["bad_signature", "not_authorised", "replayed"]
    refused = cluster.read(topics.AUDIT, until=lambda m: sum(r["action"] == "refused" for r in m) >= 3)
    assert sorted(str(r["reason"]).split(":")[0] for r in refused if r["action"] == "refused") == [
        "bad_signature",
        "not_authorised",
        "replayed",
    ]
    events = cluster.read(topics.LOCKDOWNS, until=lambda m: True, settle=1)
    assert not any(e["type"] == "lifted" for e in events)

    cluster.send(topics.OPERATOR_COMMANDS, lift(lockdown_id, "cmd-carol"), key=lockdown_id, signed_by=CAROL)
    cluster.flush()
    events = cluster.read(topics.LOCKDOWNS, until=lambda m: any(e["type"] == "lifted" for e in m))
    assert [e["lockdown_id"] for e in events if e["type"] == "lifted"] == [lockdown_id]
    audit = cluster.read(topics.AUDIT, until=lambda m: any(r["action"] == "lockdown_lifted" for r in m))
    assert [r["actor"] for r in audit if r["action"] == "lockdown_lifted"] == ["carol"]
