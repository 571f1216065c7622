"""The watchlist replica applies only verified records (issue 15.4): a forged entry is never in the index a
hit is matched against; an entry by a signer not yet read from the registry waits for the registry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from streams import codecs, topics
from streams.codecs.signed import signature_header, signed_message
from streams.domain.exceptions import Refused
from streams.domain.identity.gate import NonceBook
from streams.domain.identity.registry import root_person
from streams.domain.identity.signatures import SignaturePolicy
from streams.domain.matching.watchlist import WatchlistIndex
from streams.signing import SigningKey, verify
from streams.worker.watchlist.signed_entries import SignedEntries, Vouched
from tests.unit.fixtures import NOW, entry_message

ROOT = SigningKey.generate("root")
WANDA = SigningKey.generate("wanda")  # watchlist_admin
ALICE = SigningKey.generate("alice")  # operator
DESK = SigningKey.generate("worker-desk")  # incident_desk


def registration(person: SigningKey, role: str) -> bytes:
    value: dict[str, object] = {
        "schema_version": 1,
        "operator_id": person.person_id,
        "public_key": person.public_key_b64,
        "roles": [role],
        "status": "active",
    }
    signature = ROOT.sign(topic=topics.REGISTRY, key=person.person_id, value=value, now=NOW)
    return orjson.dumps(signed_message(value, signature))


def entries(*people: tuple[SigningKey, str]) -> SignedEntries:
    signed = SignedEntries(root_person("root", ROOT.public_key), verify, SignaturePolicy(), max_bytes=1 << 16)
    for person, role in people:
        assert signed.on_registry(person.person_id.encode(), registration(person, role), NOW) == []
    return signed


def entry(by: SigningKey, **changes: Any) -> bytes:
    value = entry_message(**changes)
    signature = by.sign(topic=topics.WATCHLIST, key=value["entry_id"], value=value, now=NOW)
    return orjson.dumps(signed_message(value, signature))


class Replica:
    """The replica's loop in miniature: verify, then apply (streams/worker/watchlist/replica.py)."""

    def __init__(self, signed: SignedEntries) -> None:
        self.signed = signed
        self.index = WatchlistIndex()

    def feed(self, key: bytes, value: bytes | None, headers: list[tuple[str, bytes]] | None = None) -> None:
        vouched = self.signed.vouch(key, value, headers or [], NOW)
        if vouched is not None:
            self.apply(key, value, vouched)

    def registry(self, key: bytes, value: bytes) -> None:
        for held, vouched in self.signed.on_registry(key, value, NOW):
            self.apply(held.key, held.value, vouched)

    def apply(self, key: bytes | None, value: bytes | None, vouched: Vouched) -> None:
        codecs.apply_watchlist_record(
            self.index,
            key,
            value,
            max_bytes=1 << 16,
            listed_at=NOW,
            signer=vouched.signer,
            proof=vouched.proof,
        )

    def matchable(self) -> list[str]:
        """The entries a hit could alert on: those whose signature `confirm` accepts."""
        return sorted(e.entry_id for e in self.index if self.signed.confirm(e))


def test_a_watchlist_admins_entry_is_applied() -> None:
    replica = Replica(entries((WANDA, "watchlist_admin")))
    replica.feed(b"WL-1", entry(WANDA))
    assert len(replica.index) == 1


@pytest.mark.parametrize(
    "value",
    [
        orjson.dumps(entry_message()),  # unsigned
        entry(ALICE),  # an operator may not list
        entry(SigningKey.generate("eve")),  # nobody
        orjson.dumps({**orjson.loads(entry(WANDA)), "plate": "苏K99999"}),  # altered
        orjson.dumps({**orjson.loads(entry(WANDA)), "covert": True}),  # made covert
    ],
    ids=["unsigned", "operator", "unknown", "altered", "made-covert"],
)
def test_a_forged_entry_is_never_matchable(value: bytes) -> None:
    """Refused at once when a check without cryptography fails; an altered one (a signature that does
    not hold) is applied with its proof and refused by `confirm`, before any alert."""
    replica = Replica(entries((WANDA, "watchlist_admin"), (ALICE, "operator")))
    replica.feed(b"WL-1", value)
    assert replica.matchable() == []


def test_a_genuine_entry_is_confirmed_once() -> None:
    calls: list[bytes] = []

    def counting(public_key: bytes, message: bytes, signature: bytes) -> bool:
        calls.append(message)
        return verify(public_key, message, signature)

    signed = entries((WANDA, "watchlist_admin"))
    signed.verify = counting
    replica = Replica(signed)
    replica.feed(b"WL-1", entry(WANDA))
    assert calls == []  # nothing verified at load
    assert replica.matchable() == ["WL-1"] and replica.matchable() == ["WL-1"]
    assert len(calls) == 1 and len(calls[0]) == 32  # once, over the statement's digest


def test_a_forged_entry_stays_out_when_its_signer_is_registered_later() -> None:
    eve = SigningKey.generate("eve")
    replica = Replica(entries())
    forged = orjson.loads(entry(eve))
    forged["signature"]["signer"] = "wanda"
    replica.feed(b"WL-1", orjson.dumps(forged))
    replica.registry(b"wanda", registration(WANDA, "watchlist_admin"))
    assert replica.matchable() == []


def test_an_entry_read_before_its_signers_registration_is_applied_once_registered() -> None:
    replica = Replica(entries())
    replica.feed(b"WL-1", entry(WANDA))
    assert len(replica.index) == 0 and b"WL-1" in replica.signed.held
    replica.registry(b"wanda", registration(WANDA, "watchlist_admin"))
    assert len(replica.index) == 1 and not replica.signed.held


def test_a_tombstone_needs_a_watchlist_admins_signature_over_its_reason() -> None:
    replica = Replica(entries((WANDA, "watchlist_admin"), (ALICE, "operator")))
    replica.feed(b"WL-1", entry(WANDA))
    replica.feed(b"WL-1", None)  # unsigned: the entry stays
    by_alice = ALICE.sign(topic=topics.WATCHLIST, key="WL-1", value=None, reason="done", now=NOW)
    replica.feed(b"WL-1", None, [signature_header(by_alice), ("citygate-reason", b"done")])
    assert len(replica.index) == 1
    by_wanda = WANDA.sign(topic=topics.WATCHLIST, key="WL-1", value=None, reason="done", now=NOW)
    replica.feed(b"WL-1", None, [signature_header(by_wanda), ("citygate-reason", b"other")])  # reason altered
    assert len(replica.index) == 1
    replica.feed(b"WL-1", None, [signature_header(by_wanda), ("citygate-reason", b"done")])
    assert len(replica.index) == 0


def test_the_incident_desk_lists_incident_vehicles_only() -> None:
    signed = entries((DESK, "incident_desk"))
    signed.signer_of(b"WL-1", entry(DESK, category="incident"), [], NOW)
    for changes in ({"category": "stolen"}, {"category": "incident", "covert": True}):
        with pytest.raises(Refused) as refused:
            signed.signer_of(b"WL-1", entry(DESK, **changes), [], NOW)
        assert refused.value.code == "not_authorised"


def test_a_covert_entry_needs_a_watchlist_admin_and_a_replay_is_refused() -> None:
    signed = entries((WANDA, "watchlist_admin"))
    value = entry(WANDA, covert=True)
    assert signed.signer_of(b"WL-1", value, [], NOW).person_id == "wanda"
    with pytest.raises(Refused) as refused:
        signed.signer_of(b"WL-1", value, [], NOW + timedelta(seconds=5))
    assert refused.value.code == "replayed"


def test_the_replica_and_the_checker_each_accept_a_genuine_record_once() -> None:
    """They share the registry, not the nonces: the replica records the nonce of what it applies, and
    the checker (with its own book, even an empty one) must not read that as a replay."""
    signed = entries((WANDA, "watchlist_admin"))
    value = entry(WANDA)
    assert signed.vouch(b"WL-1", value, [], NOW) is not None
    checker_nonces = NonceBook(SignaturePolicy())
    assert signed.signer_of(b"WL-1", value, [], NOW, nonces=checker_nonces).person_id == "wanda"
    with pytest.raises(Refused) as refused:
        signed.signer_of(b"WL-1", value, [], NOW, nonces=checker_nonces)
    assert refused.value.code == "replayed"


def test_a_refused_record_does_not_discard_a_held_entry_of_its_key() -> None:
    """The replica may read entries before the registry: a held entry followed by an unsigned tombstone of
    its key (refused) is still applied once its signer's registration is read."""
    replica = Replica(entries())
    replica.feed(b"WL-1", entry(WANDA))
    replica.feed(b"WL-1", None)  # unsigned: refused, changes nothing
    replica.registry(b"wanda", registration(WANDA, "watchlist_admin"))
    assert replica.matchable() == ["WL-1"] and not replica.signed.held
