"""Signed watchlist entries on the real broker (issue 15.4): a client that can write `watchlist.entries` but
cannot sign as a watchlist administrator lists nothing. Unsigned, forged, altered, unauthorised and unknown
signers' entries, and an unsigned tombstone, are each one dead letter and one audit record, and no hit on
their plates alerts; the watchlist administrator's entry alerts, and its audited actor is the signer."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams import topics
from streams.codecs.signed import signed_message
from streams.signing import SigningKey
from tests.integration.conftest import OFFICER, Cluster, register
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka

ALICE = SigningKey.generate("alice")  # an operator: may review alerts, not list plates
EVE = SigningKey.generate("eve")  # in no registry


def signed(entry: dict[str, Any], by: SigningKey, *, claim: str | None = None) -> bytes:
    """`entry` signed by `by`, its signature claiming to be `claim`'s when given (a forgery)."""
    value = signed_message(entry, by.sign(topic=topics.WATCHLIST, key=str(entry["entry_id"]), value=entry))
    if claim is not None:
        value["signature"]["signer"] = claim  # type: ignore[index]
    return orjson.dumps(value)


def test_only_a_watchlist_administrators_entries_alert(cluster: Cluster) -> None:
    register(cluster, ALICE, "operator")
    plates = {
        "WL-GOOD": "苏K10001",
        "WL-UNSIGNED": "苏K10002",
        "WL-FORGED": "苏K10003",
        "WL-ALTERED": "苏K10004",
        "WL-OPERATOR": "苏K10005",
        "WL-NOBODY": "苏K10006",
    }
    entries = {entry_id: live_entry(entry_id, plate) for entry_id, plate in plates.items()}
    cluster.send(topics.WATCHLIST, entries["WL-GOOD"], key="WL-GOOD")  # signed by the officer
    cluster.send(topics.WATCHLIST, entries["WL-UNSIGNED"], key="WL-UNSIGNED", signed_by=False)
    cluster.send(
        topics.WATCHLIST, signed(entries["WL-FORGED"], EVE, claim=OFFICER.person_id), key="WL-FORGED"
    )
    genuine = orjson.loads(signed(live_entry("WL-ALTERED", "苏K19999"), OFFICER))
    cluster.send(topics.WATCHLIST, orjson.dumps({**genuine, "plate": plates["WL-ALTERED"]}), key="WL-ALTERED")
    cluster.send(topics.WATCHLIST, signed(entries["WL-OPERATOR"], ALICE), key="WL-OPERATOR")
    cluster.send(topics.WATCHLIST, signed(entries["WL-NOBODY"], EVE), key="WL-NOBODY")
    cluster.send(topics.WATCHLIST, None, key="WL-GOOD", signed_by=False)  # an unsigned removal
    cluster.flush()
    worker = cluster.start_worker()
    worker.wait_healthy()
    cluster.wait_past_listing()  # live matching's hits, so the replica's own verdicts are what is tested

    for n, (entry_id, plate) in enumerate(plates.items()):
        checkpoint = f"YZ-EC-{n + 1:04d}"
        cluster.send(
            topics.HITS, live_hit(f"hit-{entry_id}", plate, checkpoint_id=checkpoint), key=checkpoint
        )
    cluster.flush()

    expected = {"unsigned": 2, "bad_signature": 2, "not_authorised": 1, "unknown_signer": 1}
    letters = cluster.read(
        topics.DEADLETTER, until=lambda m: len(m) >= sum(expected.values()), timeout=120, settle=3
    )
    codes: dict[str, int] = {}
    for letter in letters:
        assert letter["source"]["topic"] == topics.WATCHLIST  # type: ignore[index]
        code = str(letter["reason"]["code"])  # type: ignore[index]
        codes[code] = codes.get(code, 0) + 1
    assert codes == expected

    alerts = cluster.read(topics.ALERTS, until=lambda m: len(m) >= 1, settle=5)
    assert [a["match"]["entry_id"] for a in alerts] == ["WL-GOOD"]  # type: ignore[index]

    audit = cluster.read(topics.AUDIT, until=lambda m: len(m) >= 7, settle=2)
    refused = [a for a in audit if a["action"] == "refused"]
    assert len(refused) == sum(expected.values())
    [upsert] = [a for a in audit if a["action"] == "watchlist_upsert"]
    assert upsert["subject"] == "WL-GOOD" and upsert["actor"] == OFFICER.person_id

    # The two entries whose signature does not hold were vouched on arrival and dropped at their match.
    metrics = worker.metrics()
    assert 'citygate_watchlist_refused_total{reason="forged"} 2.0' in metrics, metrics
    worker.assert_alive()
