"""The operators' registry (`operators.registry`, compacted, key: the person's id) folded into state.

Each record names a person, their Ed25519 public key and roles, and whether they are revoked; each is signed
by an administrator the registry already trusts. The first administrator, the *root*, is not a record: its
id and public key come from configuration (`CITYGATE_REGISTRY_ROOT_ID`, `CITYGATE_REGISTRY_ROOT_KEY`).
Only the root registers or revokes a registry administrator; a registry administrator manages the others.

**A record never changes a person's key or roles**, it can only revoke them; revocation is final (register a
new id instead). Why: the topic is compacted, so a worker reading it from the beginning sees only each id's
last record. If keys or roles could change, a worker started today would judge a month-old watchlist entry
by today's roles while the running workers judged it by the roles of its day, and the two would disagree on
whether a plate is listed. With keys and roles fixed per id, the last record says everything: the key, the
roles, and since when (`revoked_at`, the revocation's broker time) the id signs nothing more. Records that
reached Kafka before that time stay valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from streams.domain.exceptions import InvalidInput, Refused
from streams.domain.identity.roles import ROLES, ROOT_ACTION, allows
from streams.domain.identity.signatures import PUBLIC_KEY_BYTES, decode_b64
from streams.domain.identity.weak_keys import is_weak_public_key

REGISTRY_ADMIN = "registry_admin"
STATUSES = frozenset({"active", "revoked"})


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    public_key: bytes
    roles: frozenset[str]
    revoked_at: datetime | None = None  # broker time of the revocation; records from then on are refused
    root: bool = False

    def revoked_by(self, moment: datetime) -> bool:
        """Whether a record that reached Kafka at `moment` comes after this person's revocation."""
        return self.revoked_at is not None and moment >= self.revoked_at


class RegistryFields(Protocol):
    """An `operators.registry` message as decoded (schema-checked), its signature aside."""

    @property
    def operator_id(self) -> str: ...
    @property
    def public_key(self) -> str: ...
    @property
    def roles(self) -> Sequence[str]: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Registry:
    """Everyone the registry knows, by id, and the root from configuration."""

    root: Person
    people: Mapping[str, Person] = field(default_factory=dict)

    def find(self, person_id: str) -> Person | None:
        if person_id == self.root.person_id:
            return self.root
        return self.people.get(person_id)

    def with_person(self, person: Person) -> Registry:
        return replace(self, people={**self.people, person.person_id: person})


def root_person(person_id: str, public_key: bytes) -> Person:
    """The root administrator trusted from configuration: it may manage the registry, nothing else."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError(f"the registry root key must be {PUBLIC_KEY_BYTES} bytes, got {len(public_key)}")
    if is_weak_public_key(public_key):
        raise ValueError("the registry root key is a weak Ed25519 key (anyone could sign with it)")
    return Person(person_id, public_key, frozenset({REGISTRY_ADMIN}), root=True)


def check_registry_record(key: str | None, message: RegistryFields) -> Person:
    """The person a decoded registry record describes (not yet who signed it). Raises `InvalidInput`."""
    if key != message.operator_id:
        raise InvalidInput(
            "key_mismatch", f"message key {key!r} differs from operator_id {message.operator_id!r}"
        )
    unknown = sorted(set(message.roles) - ROLES)
    if unknown:
        raise InvalidInput("invalid_value", f"unknown roles {unknown}; roles are {sorted(ROLES)}")
    if message.status not in STATUSES:
        raise InvalidInput("invalid_value", f"field 'status' must be one of {sorted(STATUSES)}")
    try:
        public_key = decode_b64(message.public_key, PUBLIC_KEY_BYTES, "public_key")
    except Refused as error:  # a registry record's key is data, not a signature
        raise InvalidInput("invalid_value", error.detail) from None
    if is_weak_public_key(public_key):
        raise InvalidInput("invalid_value", "public_key is a weak Ed25519 key (anyone could sign with it)")
    return Person(message.operator_id, public_key, frozenset(message.roles))


def action_of_registry_change(person: Person) -> str:
    """What writing `person`'s record takes: only the root manages registry administrators."""
    return ROOT_ACTION if REGISTRY_ADMIN in person.roles else "manage_operators"


def may_sign_registry(signer: Person, action: str) -> bool:
    if action == ROOT_ACTION:
        return signer.root
    return signer.root or allows(signer.roles, action)


def fold_registry_record(
    registry: Registry, person: Person, *, status: str, signer: Person, arrived_at: datetime
) -> Registry:
    """`registry` after a record (already verified as `signer`'s) that reached Kafka at `arrived_at`.
    Raises `Refused` when the signer may not make the change, `InvalidInput` when the change is not one
    the registry allows (a key or roles changed, a revoked id brought back, the root's id reused)."""
    action = action_of_registry_change(person)
    if not may_sign_registry(signer, action):
        needed = "the registry root" if action == ROOT_ACTION else "a registry_admin"
        raise Refused(
            "not_authorised",
            f"{signer.person_id} may not change {person.person_id}: needs {needed}",
            claimed_by=signer.person_id,
        )
    if person.person_id == registry.root.person_id:
        raise InvalidInput("invalid_value", f"{person.person_id} is the registry root's id (configuration)")
    known = registry.people.get(person.person_id)
    if known is not None:
        if known.public_key != person.public_key or known.roles != person.roles:
            raise InvalidInput(
                "invalid_value",
                f"{person.person_id}'s key and roles are fixed; revoke it and register a new id",
            )
        if known.revoked_at is not None:
            if status == "active":
                raise InvalidInput(
                    "invalid_value", f"{person.person_id} is revoked for good; register a new id"
                )
            return registry  # revoked again: the first revocation's time stands
    revoked_at = arrived_at if status == "revoked" else None
    if known is not None and revoked_at is None:
        return registry  # the same registration again
    return registry.with_person(replace(person, revoked_at=revoked_at))


def people_with(registry: Registry, roles: Iterable[str]) -> list[Person]:
    """The active people holding any of `roles`, for `citygate operators list` and help texts."""
    wanted = set(roles)
    return [p for p in registry.people.values() if p.revoked_at is None and p.roles & wanted]
