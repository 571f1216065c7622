"""Ed25519 for citygate's signed records: the thin adapter over `cryptography` that the pure policy in
streams/domain/identity/ is given. Verifying, signing, making key pairs and reading and writing key files.

A key file is JSON, written 0600: `{"operator_id": ..., "private_key": <base64 of the 32-byte seed>,
"public_key": <base64 of the 32-byte public key>}`. The signer id comes from the file, not from a separate
setting, so a key cannot be used under someone else's id by mistake.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from streams.domain.identity.signatures import PUBLIC_KEY_BYTES, Signature, statement
from streams.domain.identity.weak_keys import is_weak_public_key


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """The domain's `Verify`: True when `signature` is `public_key`'s over `message`."""
    key = _usable_key(bytes(public_key))  # hashable whatever bytes-like the caller holds
    if key is None:
        return False
    try:
        key.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@lru_cache(maxsize=4096)
def _usable_key(public_key: bytes) -> Ed25519PublicKey | None:
    """The key to verify with, or None for one no signature may be accepted under. Cached: the small-order
    check is ~650 µs of pure arithmetic (~9x the verification itself) and a deployment has a few hundred
    signers at most, each verified under again and again (every listed entry's first match)."""
    if is_weak_public_key(public_key):  # OpenSSL verifies e.g. the all-zero key's all-zero signature
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:  # bytes that are no point of the curve
        return None


class KeyFileError(ValueError):
    """A key file that is missing, unreadable or not a citygate key file (the message says which)."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    person_id: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, person_id: str) -> SigningKey:
        return cls(person_id, Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode("ascii")

    def sign(
        self,
        *,
        topic: str,
        key: str,
        value: dict[str, object] | None,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> Signature:
        """Sign `value` (without a `signature` field; None for a tombstone, whose `reason` is signed) as
        the record with `key` on the logical `topic`, now, with a fresh nonce."""
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        signed_at = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        nonce = secrets.token_hex(16)
        body = statement(
            topic=topic,
            key=key,
            value=value,
            signer=self.person_id,
            signed_at=signed_at,
            nonce=nonce,
            reason=reason,
        )
        return Signature(self.person_id, moment, signed_at, nonce, self.private_key.sign(body))

    def write(self, path: Path) -> None:
        """Write the key file, readable by its owner only; never overwrites (a lost key is a new id)."""
        seed = self.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        text = json.dumps(
            {
                "operator_id": self.person_id,
                "private_key": base64.b64encode(seed).decode("ascii"),
                "public_key": self.public_key_b64,
            }
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyFileError(
                f"{path} exists; choose another --key-out (keys are never overwritten)"
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + "\n")


def read_key_file(path: Path) -> SigningKey:
    """The signing key in `path` (see the module's docstring). Raises `KeyFileError`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seed = base64.b64decode(data["private_key"], validate=True)
        person_id = data["operator_id"]
        private_key = Ed25519PrivateKey.from_private_bytes(seed)
    except FileNotFoundError:
        raise KeyFileError(f"no key file at {path}; set CITYGATE_OPERATOR_KEY_FILE") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KeyFileError(f"{path} is not a citygate key file ({type(error).__name__})") from None
    if not isinstance(person_id, str) or not person_id:
        raise KeyFileError(f"{path} names no operator_id")
    return SigningKey(person_id, private_key)


def public_key_from_text(text: str) -> bytes:
    """A base64 public key from configuration (CITYGATE_REGISTRY_ROOT_KEY), or `@path` of a key file or of
    a file holding the base64 text. Raises `KeyFileError`."""
    text = text.strip()
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            content = path.read_text(encoding="utf-8").strip()
        except OSError:
            raise KeyFileError(f"cannot read the registry root key from {path}") from None
        if content.startswith("{"):
            return read_key_file(path).public_key
        text = content
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise KeyFileError("the registry root key is not base64") from None
    if len(raw) != PUBLIC_KEY_BYTES:
        raise KeyFileError(f"the registry root key must be {PUBLIC_KEY_BYTES} bytes, got {len(raw)}")
    return raw
