"""The command side's check of who stands behind an operator command (issue 15.4), and its copy of the
operators' registry, folded from `operators.registry` in the command side's own order.

The registry and the nonces seen live in tables (plain dicts in tests, Faust tables in the worker), so a
worker that takes the command side over knows them without re-reading anything. Refusals are `Refused`:
the pipeline dead-letters and audits them (streams/worker/pipeline.py), and nothing else happens.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from streams import codecs, topics
from streams.codecs.signed import message_statement, parse_registry, signed_message
from streams.domain.commands import OperatorCommand
from streams.domain.identity.gate import Gate, admit, authenticate
from streams.domain.identity.registry import Person, Registry, fold_registry_record, root_person
from streams.domain.identity.roles import action_of_command
from streams.settings import Settings, SettingsError
from streams.signing import KeyFileError, SigningKey, public_key_from_text, read_key_file, verify
from streams.worker.pipeline import InputMessage, Outgoing, received

log = logging.getLogger(__name__)


def registry_root(settings: Settings) -> Person:
    """The root administrator from configuration; `SettingsError` saying what to set when it is missing."""
    if not settings.registry_root_key:
        raise SettingsError(
            "CITYGATE_REGISTRY_ROOT_KEY is not set: give the root administrator's public key (base64 or "
            "@FILE), or set CITYGATE_REQUIRE_SIGNATURES=false on a development broker"
        )
    try:
        return root_person(settings.registry_root_id, public_key_from_text(settings.registry_root_key))
    except (KeyFileError, ValueError) as error:
        raise SettingsError(f"CITYGATE_REGISTRY_ROOT_KEY: {error}") from None


def worker_key(settings: Settings) -> SigningKey:
    """The worker's own signing key (role incident_desk), from CITYGATE_WORKER_KEY_FILE; `SettingsError`
    saying what to do when it is missing or unreadable."""
    if not settings.worker_key_file:
        raise SettingsError(
            "CITYGATE_WORKER_KEY_FILE is not set: the incident desk signs the vehicles 110 calls name; "
            "register the worker with `citygate operators add incident-desk --role incident_desk "
            "--key-out FILE` and point CITYGATE_WORKER_KEY_FILE at FILE"
        )
    try:
        return read_key_file(Path(settings.worker_key_file))
    except KeyFileError as error:
        raise SettingsError(f"CITYGATE_WORKER_KEY_FILE: {error}") from None


def listing_signer(key: SigningKey) -> Callable[[dict[str, object]], dict[str, object]]:
    """Signs a watchlist listing the incident desk makes, as the CLI signs one (at the time it is made)."""

    def sign(listing: dict[str, object]) -> dict[str, object]:
        signature = key.sign(topic=topics.WATCHLIST, key=str(listing["entry_id"]), value=listing)
        return signed_message(listing, signature)

    return sign


class TableNonces:
    """The nonce book kept in a table (`signer\\x1fnonce` → broker time in ms), so it survives a takeover."""

    def __init__(self, table: MutableMapping[str, Any], keep: timedelta) -> None:
        self.keep = keep
        self.table = table

    def __len__(self) -> int:
        return len(self.table)

    def seen(self, signer: str, nonce: str, *, at: datetime) -> bool:
        stamp = self.table.get(f"{signer}\x1f{nonce}")
        return stamp is not None and at.timestamp() * 1000 - stamp <= self.keep.total_seconds() * 1000

    def record(self, signer: str, nonce: str, *, at: datetime) -> None:
        self.table[f"{signer}\x1f{nonce}"] = round(at.timestamp() * 1000)

    def sweep(self, now: datetime) -> None:
        """Forget nonces beyond the window (check_fresh refuses their records anyway)."""
        horizon = (now - self.keep).timestamp() * 1000
        for name in [name for name, stamp in self.table.items() if stamp < horizon]:
            del self.table[name]


class SignedInputs:
    """Verifies operator commands against the registry table and folds registry records into it."""

    def __init__(
        self,
        settings: Settings,
        registry: MutableMapping[str, Any],
        nonces: MutableMapping[str, Any],
    ) -> None:
        self.settings = settings
        self.root = registry_root(settings)
        self.people = registry
        policy = settings.signature_policy()
        self.policy = policy
        self.nonces = TableNonces(nonces, policy.max_age + policy.max_skew)

    def registry(self) -> Registry:
        return Registry(self.root, {pid: _person(pid, record) for pid, record in self.people.items()})

    def gate(self) -> Gate:
        return Gate(self.registry(), verify, self.policy, self.nonces)

    def admit_command(
        self, command: OperatorCommand, message: InputMessage, now: datetime
    ) -> OperatorCommand:
        """The command as its signer gave it (the signer is the operator, whatever `operator_id` says), or
        `Refused`."""
        value = codecs.decode_object(message.value, max_bytes=self.settings.max_message_bytes)
        signature, signed = message_statement(topics.OPERATOR_COMMANDS, command.target_id, value)
        arrived = received(message, now)
        signer = admit(self.gate(), signature, signed, action_of_command(command.command), arrived_at=arrived)
        return replace(command, operator_id=signer.person_id)

    def on_registry(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """A registry record: signed by someone allowed to make it, then folded into the table."""
        key = codecs.decode_key(message.key)
        person, status, signature, signed = parse_registry(
            key, message.value, max_bytes=self.settings.max_message_bytes
        )
        arrived = received(message, now)
        registry = self.registry()
        signer = authenticate(self.gate(), signature, signed, arrived_at=arrived)
        after = fold_registry_record(registry, person, status=status, signer=signer, arrived_at=arrived)
        changed = after.people.get(person.person_id)
        if changed is not None and changed != registry.people.get(person.person_id):
            self.people[person.person_id] = _record(changed)
            log.info("registry: %s %s by %s", person.person_id, status, signer.person_id)
        return ()

    def sweep(self, now: datetime) -> None:
        self.nonces.sweep(now)


def _record(person: Person) -> dict[str, object]:
    return {
        "public_key": base64.b64encode(person.public_key).decode("ascii"),
        "roles": sorted(person.roles),
        "revoked_at_ms": None if person.revoked_at is None else round(person.revoked_at.timestamp() * 1000),
    }


def _person(person_id: str, record: Any) -> Person:
    if isinstance(record, bytes | str):
        record = orjson.loads(record)
    revoked = record.get("revoked_at_ms")
    return Person(
        person_id,
        base64.b64decode(record["public_key"]),
        frozenset(record["roles"]),
        None if revoked is None else datetime.fromtimestamp(revoked / 1000, UTC),
    )
