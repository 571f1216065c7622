"""Operators' signing keys locked with a passphrase, for the web console: logging in is unlocking one's own
key, and the console signs the operator's commands with it as the CLI does (streams/signing.py).

Why this, and not passwords of the console's own: the identity the command side trusts is the Ed25519 key
registered in `operators.registry`; a console that held keys in the clear, or kept a password table beside
the registry, would be a second identity to steal. Here the server stores only locked keys, unlocks one for
the length of a session with the passphrase its owner types, and forgets it at logout or expiry.

A `.webkey` file is JSON, written 0600: the operator id, the public key, scrypt's parameters and salt, and
the 32-byte Ed25519 seed sealed with AES-256-GCM under the scrypt key (the operator id as associated data,
so a file renamed to another operator does not open).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from streams.signing import SigningKey

SUFFIX = ".webkey"
SCRYPT_N = 2**15  # ~50 ms and 32 MiB per attempt: cheap to log in, dear to guess offline
SCRYPT_R, SCRYPT_P = 8, 1
MIN_PASSPHRASE = 12


class LockedKeyError(ValueError):
    """A locked key that cannot be used: missing, malformed, or the passphrase does not open it."""


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def lock(key: SigningKey, passphrase: str) -> str:
    """The `.webkey` text of `key` locked with `passphrase` (at least `MIN_PASSPHRASE` characters)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise LockedKeyError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    seed = key.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    sealed = AESGCM(_derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, seed, key.person_id.encode()
    )
    return json.dumps(
        {
            "operator_id": key.person_id,
            "public_key": key.public_key_b64,
            "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
            "nonce": base64.b64encode(nonce).decode(),
            "sealed": base64.b64encode(sealed).decode(),
        }
    )


def write_locked(key: SigningKey, passphrase: str, path: Path) -> None:
    """Write the locked key, readable by its owner only; never overwrites."""
    text = lock(key, passphrase)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise LockedKeyError(f"{path} exists already; remove it first to lock the key anew") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def unlock(text: str, operator_id: str, passphrase: str) -> SigningKey:
    """The key `text` locks for `operator_id`, opened with `passphrase`; `LockedKeyError` if it does not."""
    try:
        data = json.loads(text)
        kdf = data["kdf"]
        if data["operator_id"] != operator_id or kdf["name"] != "scrypt":
            raise LockedKeyError(f"that is not {operator_id}'s locked key")
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        if not (2**14 <= n <= 2**20 and r <= 16 and p <= 4):  # a file must not make a login cost minutes
            raise LockedKeyError("the locked key's scrypt parameters are out of bounds")
        salt = base64.b64decode(data["salt"], validate=True)
        nonce = base64.b64decode(data["nonce"], validate=True)
        sealed = base64.b64decode(data["sealed"], validate=True)
    except (ValueError, KeyError, TypeError) as error:
        if isinstance(error, LockedKeyError):
            raise
        raise LockedKeyError("the locked key is malformed") from None
    try:
        seed = AESGCM(_derive(passphrase, salt, n, r, p)).decrypt(nonce, sealed, operator_id.encode())
    except InvalidTag:
        raise LockedKeyError("wrong passphrase") from None
    key = SigningKey(operator_id, Ed25519PrivateKey.from_private_bytes(seed))
    if key.public_key_b64 != data.get("public_key"):
        raise LockedKeyError("the locked key does not match its public key")
    return key


def locked_key_path(folder: Path, operator_id: str) -> Path | None:
    """Where `operator_id`'s locked key is in `folder`; None for an id that could name another file."""
    if not operator_id or len(operator_id) > 64 or not all(c.isalnum() or c in "._:-" for c in operator_id):
        return None
    if operator_id.startswith("."):
        return None
    return folder / f"{operator_id}{SUFFIX}"
