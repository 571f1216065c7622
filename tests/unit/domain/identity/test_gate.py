"""streams/domain/identity: every refusal reason and every role rule, on real Ed25519 keys, no broker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from streams.domain.commands import COMMANDS
from streams.domain.exceptions import REASON_CODES, REFUSAL_CODES, InvalidInput, Refused
from streams.domain.identity.gate import Gate, NonceBook, admit
from streams.domain.identity.registry import (
    Person,
    Registry,
    check_registry_record,
    fold_registry_record,
    root_person,
)
from streams.domain.identity.roles import (
    PERMISSIONS,
    REMOVE_ENTRY,
    action_of_command,
    action_of_entry,
    allows,
)
from streams.domain.identity.signatures import Signature, SignaturePolicy, statement
from streams.signing import SigningKey, verify

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
POLICY = SignaturePolicy()
ROOT = SigningKey.generate("root")


def person(key: SigningKey, *roles: str) -> Person:
    return Person(key.person_id, key.public_key, frozenset(roles))


ALICE = SigningKey.generate("alice")  # operator
CAROL = SigningKey.generate("carol")  # commander
WANDA = SigningKey.generate("wanda")  # watchlist_admin
REGINA = SigningKey.generate("regina")  # registry_admin
EVE = SigningKey.generate("eve")  # not registered
REGISTRY = Registry(
    root_person("root", ROOT.public_key),
    {
        "alice": person(ALICE, "operator"),
        "carol": person(CAROL, "commander"),
        "wanda": person(WANDA, "watchlist_admin"),
        "regina": person(REGINA, "registry_admin"),
    },
)
VALUE: dict[str, object] = {"schema_version": 1, "command": "lift_lockdown", "target_id": "ld-1"}


def gate(registry: Registry = REGISTRY) -> Gate:
    return Gate(registry, verify, POLICY, NonceBook(POLICY))


def signed(
    key: SigningKey, *, value: dict[str, object] = VALUE, at: datetime = T0
) -> tuple[Signature, bytes]:
    signature = key.sign(topic="operator.commands", key="ld-1", value=value, now=at)
    return signature, signed_bytes(signature, value)


def signed_bytes(signature: Signature, value: dict[str, object], key: str = "ld-1") -> bytes:
    return statement(
        topic="operator.commands",
        key=key,
        value=value,
        signer=signature.signer,
        signed_at=signature.signed_at_text,
        nonce=signature.nonce,
    )


def code(call: object) -> str:
    assert callable(call)
    with pytest.raises(Refused) as refused:
        call()
    return refused.value.code


def test_every_refusal_is_a_dead_letter_reason() -> None:
    assert REFUSAL_CODES <= REASON_CODES
    assert REFUSAL_CODES == {
        "unsigned",
        "bad_signature",
        "unknown_signer",
        "revoked_signer",
        "not_authorised",
        "replayed",
    }


def test_a_commander_lifts_a_lockdown() -> None:
    signature, body = signed(CAROL)
    assert admit(gate(), signature, body, "lift_lockdown", arrived_at=T0).person_id == "carol"


def test_unsigned() -> None:
    assert code(lambda: admit(gate(), None, b"", "lift_lockdown", arrived_at=T0)) == "unsigned"


def test_a_forged_signature_is_bad() -> None:
    """Eve signs with her key and claims to be carol."""
    forged = EVE.sign(topic="operator.commands", key="ld-1", value=VALUE, now=T0)
    claimed = Signature("carol", forged.signed_at, forged.signed_at_text, forged.nonce, forged.ed25519)
    assert code(
        lambda: admit(gate(), claimed, signed_bytes(claimed, VALUE), "lift_lockdown", arrived_at=T0)
    ) == ("bad_signature")


@pytest.mark.parametrize(
    "change",
    [
        lambda v: {**v, "target_id": "ld-2"},  # another field
        lambda v: {**v, "note": "x"},  # a field added
    ],
)
def test_an_altered_record_is_bad(change: object) -> None:
    assert callable(change)
    signature, _ = signed(CAROL)
    altered = signed_bytes(signature, change(VALUE))
    assert code(lambda: admit(gate(), signature, altered, "lift_lockdown", arrived_at=T0)) == "bad_signature"


def test_a_signature_moved_to_another_key_is_bad() -> None:
    signature, _ = signed(CAROL)
    moved = signed_bytes(signature, VALUE, key="ld-2")
    assert code(lambda: admit(gate(), signature, moved, "lift_lockdown", arrived_at=T0)) == "bad_signature"


def test_unknown_signer() -> None:
    signature, body = signed(EVE)
    assert code(lambda: admit(gate(), signature, body, "lift_lockdown", arrived_at=T0)) == "unknown_signer"


def test_revoked_signer_from_the_revocation_on_only() -> None:
    revoked_at = T0 + timedelta(minutes=1)
    registry = REGISTRY.with_person(Person("carol", CAROL.public_key, frozenset({"commander"}), revoked_at))
    before, body_before = signed(CAROL, at=T0)
    assert admit(gate(registry), before, body_before, "lift_lockdown", arrived_at=T0).person_id == "carol"
    after, body_after = signed(CAROL, at=revoked_at)
    assert code(lambda: admit(gate(registry), after, body_after, "lift_lockdown", arrived_at=revoked_at)) == (
        "revoked_signer"
    )


def test_an_operator_may_not_lift_a_lockdown() -> None:
    signature, body = signed(ALICE)
    assert code(lambda: admit(gate(), signature, body, "lift_lockdown", arrived_at=T0)) == "not_authorised"


def test_the_same_nonce_twice_is_a_replay_and_so_is_an_unauthorised_one() -> None:
    the_gate = gate()
    signature, body = signed(CAROL)
    admit(the_gate, signature, body, "lift_lockdown", arrived_at=T0)
    again = T0 + timedelta(seconds=30)
    assert code(lambda: admit(the_gate, signature, body, "lift_lockdown", arrived_at=again)) == "replayed"
    signature, body = signed(ALICE)
    assert code(lambda: admit(the_gate, signature, body, "lift_lockdown", arrived_at=T0)) == "not_authorised"
    assert code(lambda: admit(the_gate, signature, body, "lift_lockdown", arrived_at=again)) == "replayed"


def test_a_forgery_does_not_spend_the_nonce() -> None:
    the_gate = gate()
    signature, body = signed(CAROL)
    assert (
        code(lambda: admit(the_gate, signature, body + b"x", "lift_lockdown", arrived_at=T0))
        == "bad_signature"
    )
    assert admit(the_gate, signature, body, "lift_lockdown", arrived_at=T0).person_id == "carol"


def test_too_old_is_replayed_and_too_new_a_wrong_clock() -> None:
    signature, body = signed(CAROL, at=T0)
    late = T0 + POLICY.max_age + timedelta(seconds=1)
    assert code(lambda: admit(gate(), signature, body, "lift_lockdown", arrived_at=late)) == "replayed"
    early = T0 - POLICY.max_skew - timedelta(seconds=1)
    assert code(lambda: admit(gate(), signature, body, "lift_lockdown", arrived_at=early)) == "bad_signature"


def test_the_nonce_book_forgets_beyond_the_window() -> None:
    book = NonceBook(POLICY)
    book.record("carol", "n1", at=T0)
    assert book.seen("carol", "n1", at=T0 + timedelta(minutes=9))
    assert not book.seen("carol", "n1", at=T0 + timedelta(minutes=11))
    assert len(book) == 0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_who_may_give_each_command(command: str) -> None:
    action = action_of_command(command)
    assert allows({"commander"}, action)
    assert allows({"operator"}, action) == (command != "lift_lockdown")
    assert not allows({"watchlist_admin", "registry_admin"}, action)


def test_who_may_change_the_watchlist() -> None:
    ordinary = action_of_entry(category="stolen", covert=False)
    covert = action_of_entry(category="stolen", covert=True)
    incident = action_of_entry(category="incident", covert=False)
    for action in (ordinary, covert, incident, REMOVE_ENTRY):
        assert allows({"watchlist_admin"}, action)
        assert not allows({"operator", "commander", "registry_admin"}, action)
    assert allows({"incident_desk"}, incident)
    assert not allows({"incident_desk"}, covert)
    assert not allows({"incident_desk"}, ordinary)
    assert not allows({"incident_desk"}, action_of_entry(category="incident", covert=True))


def test_every_role_is_documented() -> None:
    from streams.domain.identity.roles import ROLE_SUMMARIES

    assert set(ROLE_SUMMARIES) == set(PERMISSIONS)


@dataclass
class RecordFields:
    operator_id: str
    public_key: str
    roles: list[str]
    status: str = "active"


def record(key: SigningKey, *roles: str, status: str = "active") -> RecordFields:
    return RecordFields(key.person_id, key.public_key_b64, list(roles), status)


def fold(registry: Registry, fields: RecordFields, signer: str, at: datetime = T0) -> Registry:
    found = registry.find(signer)
    assert found is not None
    person_ = check_registry_record(fields.operator_id, fields)
    return fold_registry_record(registry, person_, status=fields.status, signer=found, arrived_at=at)


def test_the_root_registers_an_administrator_who_registers_operators() -> None:
    registry = Registry(root_person("root", ROOT.public_key))
    registry = fold(registry, record(REGINA, "registry_admin"), "root")
    registry = fold(registry, record(ALICE, "operator"), "regina")
    alice = registry.find("alice")
    assert alice is not None and alice.roles == {"operator"} and alice.revoked_at is None


def test_only_the_root_manages_administrators_and_operators_manage_no_one() -> None:
    with pytest.raises(Refused) as refused:
        fold(REGISTRY, record(EVE, "registry_admin"), "regina")
    assert refused.value.code == "not_authorised"
    with pytest.raises(Refused):
        fold(REGISTRY, record(EVE, "operator"), "alice")


def test_revocation_is_final_and_keys_and_roles_are_fixed() -> None:
    at = T0 + timedelta(minutes=3)
    registry = fold(REGISTRY, record(ALICE, "operator", status="revoked"), "regina", at)
    alice = registry.find("alice")
    assert alice is not None and alice.revoked_at == at
    assert (
        fold(registry, record(ALICE, "operator", status="revoked"), "regina", at + timedelta(1)) == registry
    )
    with pytest.raises(InvalidInput):
        fold(registry, record(ALICE, "operator"), "regina")
    with pytest.raises(InvalidInput):
        fold(REGISTRY, record(ALICE, "commander"), "regina")
    with pytest.raises(InvalidInput):
        fold(REGISTRY, RecordFields("alice", EVE.public_key_b64, ["operator"]), "regina")
    assert fold(REGISTRY, record(ALICE, "operator"), "regina") == REGISTRY


def test_a_registry_record_is_checked() -> None:
    with pytest.raises(InvalidInput) as mismatch:
        check_registry_record("bob", record(ALICE, "operator"))
    assert mismatch.value.code == "key_mismatch"
    with pytest.raises(InvalidInput):
        check_registry_record("alice", record(ALICE, "janitor"))
    with pytest.raises(InvalidInput):
        check_registry_record("alice", RecordFields("alice", "AAAA", ["operator"]))
    with pytest.raises(InvalidInput):
        fold(REGISTRY, record(SigningKey.generate("root"), "operator"), "regina")


WEAK_KEYS = [
    bytes(32),  # order 4: OpenSSL verifies its all-zero signature over any message
    bytes([1]) + bytes(31),  # the identity
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),  # order 8
]


@pytest.mark.parametrize("weak", WEAK_KEYS, ids=["zero", "identity", "order-8"])
def test_weak_keys_are_refused_everywhere(weak: bytes) -> None:
    import base64

    from streams.domain.identity.weak_keys import is_weak_public_key

    assert is_weak_public_key(weak)
    assert not verify(weak, b"anything", bytes(64))
    assert not verify(weak, b"anything", bytes(64))  # the key cache remembers the refusal, not a pass
    with pytest.raises(ValueError, match="weak"):
        root_person("root", weak)
    with pytest.raises(InvalidInput, match="weak"):
        check_registry_record("x", RecordFields("x", base64.b64encode(weak).decode(), ["operator"]))


def test_a_key_verified_under_before_still_refuses_what_it_did_not_sign() -> None:
    key = SigningKey.generate("x")
    signed = key.private_key.sign(b"entry one")
    for _ in range(3):  # the first call loads and checks the key, the others reuse it
        assert verify(key.public_key, b"entry one", signed)
        assert not verify(key.public_key, b"entry two", signed)
        assert not verify(key.public_key, b"entry one", bytes(64))
        assert not verify(SigningKey.generate("y").public_key, b"entry one", signed)
    assert verify(bytearray(key.public_key), b"entry one", signed)  # any bytes-like key, as before the cache


def test_generated_keys_are_not_weak() -> None:
    from streams.domain.identity.weak_keys import is_weak_public_key

    assert not any(is_weak_public_key(SigningKey.generate("x").public_key) for _ in range(50))


@pytest.mark.parametrize(
    "nonce",
    ["0f" * 16, "ab" * 16, "AB" * 16, "0123456789" * 3 + "12", "١" * 32, "a_" * 16, "short-nonce-1234"],
)
def test_the_nonce_book_remembers_each_pair_for_its_window_whatever_the_spelling(nonce: str) -> None:
    policy = SignaturePolicy()
    book = NonceBook(policy)
    at = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert not book.seen("op-1", nonce, at=at)
    book.record("op-1", nonce, at=at)
    assert book.seen("op-1", nonce, at=at)
    assert not book.seen("op-2", nonce, at=at)  # another signer's nonce is another pair
    book.record("op-2", nonce, at=at)
    assert book.seen("op-2", nonce, at=at) and len(book) == 2
    # Spellings that would read as the same number are different nonces.
    for other in {nonce.upper(), nonce.lower(), nonce.replace("١", "1")} - {nonce}:
        assert not book.seen("op-1", other, at=at)
    later = at + policy.max_age + policy.max_skew + timedelta(seconds=1)
    assert not book.seen("op-1", nonce, at=later) and not book.seen("op-2", nonce, at=later)
    assert len(book) == 0


def test_the_nonce_book_forgets_in_the_order_records_arrived() -> None:
    policy = SignaturePolicy()
    book = NonceBook(policy)
    at = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    for n in range(1000):
        book.record("op-1", f"{n:032x}", at=at + timedelta(seconds=n // 100))
    window = policy.max_age + policy.max_skew
    assert book.seen("op-1", f"{999:032x}", at=at + window + timedelta(seconds=5))
    assert not book.seen("op-1", f"{0:032x}", at=at + window + timedelta(seconds=5))
    assert len(book) == 500  # seconds 0-4 forgotten, 5-9 kept
