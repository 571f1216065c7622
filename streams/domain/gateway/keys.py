"""The gateways' API keys (`gateway.keys`, compacted, key: the key id), stored as digests only.

A key is `cgk_<key id>_<secret>`: the id says which record to compare with, the secret is 32 random bytes
(urlsafe base64), printed once by `citygate gateway key add` and never stored. The topic holds SHA-256 of
the whole key: with 256 random bits a fast digest is as safe as a slow one (nobody can guess the secret to
try it against the digest), and a gateway checks each post in a microsecond. Anyone who reads the topic
learns which keys exist, never one that works.

A revoked key's record stays (status `revoked`), so who had it and until when is still on record; a key
removed with a tombstone simply stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from streams.domain.exceptions import InvalidInput

PREFIX = "cgk"
SECRET_BYTES = 32
_KEY = re.compile(r"cgk_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")
KEY_ID = re.compile(r"[0-9a-f]{12}")


def make_key(key_id: str, secret: bytes) -> str:
    """The key a gateway presents, from its id (12 hex digits) and `SECRET_BYTES` random bytes (the caller's
    randomness: the domain draws none)."""
    if not KEY_ID.fullmatch(key_id) or len(secret) != SECRET_BYTES:
        raise ValueError("a key id is 12 hex digits and a secret 32 bytes")
    return f"{PREFIX}_{key_id}_{base64.urlsafe_b64encode(secret).decode('ascii').rstrip('=')}"


def digest(key: str) -> str:
    """What `gateway.keys` stores of a key: SHA-256 of it, hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_id_of(key: str) -> str | None:
    """The id in a presented key, None when it is not shaped like one of ours."""
    found = _KEY.fullmatch(key)
    return found.group("id") if found else None


class KeyFields(Protocol):
    @property
    def key_id(self) -> str: ...
    @property
    def gateway_id(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def created_at(self) -> str: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class GatewayKey:
    key_id: str
    gateway_id: str  # who holds it: stamped on every hit it posts (anpr.hits `gateway_id`)
    sha256: str
    created_at: str
    status: str = "active"

    @property
    def active(self) -> bool:
        return self.status == "active"

    def value(self) -> dict[str, object]:
        return {
            "schema_version": 1,
            "key_id": self.key_id,
            "gateway_id": self.gateway_id,
            "sha256": self.sha256,
            "created_at": self.created_at,
            "status": self.status,
        }


def key_from(message: KeyFields, key: str | None) -> GatewayKey:
    if key != message.key_id:
        raise InvalidInput("key_mismatch", f"message key {key!r} differs from key_id {message.key_id!r}")
    return GatewayKey(message.key_id, message.gateway_id, message.sha256, message.created_at, message.status)


@dataclass(slots=True)
class KeyBook:
    """The keys as a gateway follows them: the last record per key id."""

    keys: dict[str, GatewayKey] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[GatewayKey]:
        return iter(self.keys.values())

    def apply(self, key_id: str, record: GatewayKey | None) -> None:
        if record is None:
            self.keys.pop(key_id, None)
        else:
            self.keys[key_id] = record

    def authenticate(self, presented: str) -> GatewayKey | None:
        """The active key `presented` is, or None (unknown, revoked, or a wrong secret: the caller answers
        401 alike, so a prober learns nothing about which). Compared in constant time."""
        key_id = key_id_of(presented)
        record = self.keys.get(key_id) if key_id else None
        if record is None or not record.active:
            return None
        return record if hmac.compare_digest(digest(presented), record.sha256) else None
