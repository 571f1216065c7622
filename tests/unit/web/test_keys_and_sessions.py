"""streams/web/keys.py and sessions.py: a locked key opens only for its operator and passphrase; sessions end
idle, at their longest and at logout; wrong passphrases lock an operator id for a while."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streams.signing import SigningKey
from streams.web.keys import LockedKeyError, lock, locked_key_path, unlock, write_locked
from streams.web.sessions import FAILURES_ALLOWED, Sessions

KEY = SigningKey.generate("op-7")
PASSPHRASE = "correct horse battery staple"
T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_a_locked_key_opens_with_its_passphrase_only_and_signs_as_before() -> None:
    text = lock(KEY, PASSPHRASE)
    assert "private_key" not in text and KEY.public_key_b64 in text
    opened = unlock(text, "op-7", PASSPHRASE)
    assert opened.public_key == KEY.public_key and opened.person_id == "op-7"
    with pytest.raises(LockedKeyError, match="wrong passphrase"):
        unlock(text, "op-7", PASSPHRASE + "!")
    with pytest.raises(LockedKeyError, match="not op-8's"):
        unlock(text, "op-8", PASSPHRASE)  # a file renamed to another operator


def test_a_locked_key_that_was_tampered_with_does_not_open() -> None:
    data = json.loads(lock(KEY, PASSPHRASE))
    other = json.loads(lock(SigningKey.generate("op-7"), PASSPHRASE))
    with pytest.raises(LockedKeyError, match="does not match its public key"):
        unlock(json.dumps({**other, "public_key": data["public_key"]}), "op-7", PASSPHRASE)
    with pytest.raises(LockedKeyError, match="out of bounds"):
        unlock(json.dumps({**data, "kdf": {**data["kdf"], "n": 2**24}}), "op-7", PASSPHRASE)
    for broken in ("{", json.dumps({**data, "salt": "***"}), json.dumps({"operator_id": "op-7"})):
        with pytest.raises(LockedKeyError):
            unlock(broken, "op-7", PASSPHRASE)
    with pytest.raises(LockedKeyError, match="at least 12"):
        lock(KEY, "short")


def test_locked_keys_are_written_once_and_only_under_safe_names(tmp_path: Path) -> None:
    path = locked_key_path(tmp_path, "op-7")
    assert path == tmp_path / "op-7.webkey"
    write_locked(KEY, PASSPHRASE, path)
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(LockedKeyError, match="exists already"):
        write_locked(KEY, PASSPHRASE, path)
    for hostile in ("../op-7", "", ".hidden", "a/b", "x" * 65, "op 7"):
        assert locked_key_path(tmp_path, hostile) is None


def test_sessions_end_idle_at_their_longest_and_at_logout() -> None:
    sessions = Sessions(idle=timedelta(minutes=15), longest=timedelta(hours=8))
    one = sessions.open(KEY, privileged=False, now=T0)
    assert sessions.get(one.token, T0 + timedelta(minutes=14)) is one
    assert sessions.get(one.token, T0 + timedelta(minutes=28)) is one  # the idle clock restarted at 14
    assert sessions.get(one.token, T0 + timedelta(minutes=44)) is None  # idle for 16 minutes
    busy = sessions.open(KEY, privileged=True, now=T0)
    for minute in range(10, 8 * 60, 10):
        assert sessions.get(busy.token, T0 + timedelta(minutes=minute)) is busy
    assert sessions.get(busy.token, T0 + timedelta(hours=8, minutes=1)) is None  # at its longest
    gone = sessions.open(KEY, privileged=False, now=T0)
    sessions.close(gone.token)
    assert sessions.get(gone.token, T0) is None and sessions.get(None, T0) is None
    assert sessions.get("forged-token", T0) is None
    assert len({sessions.open(KEY, False, T0).token for _ in range(50)}) == 50


def test_wrong_passphrases_lock_an_operator_id_for_a_while() -> None:
    sessions = Sessions(idle=timedelta(minutes=15), longest=timedelta(hours=8))
    for n in range(FAILURES_ALLOWED):
        assert not sessions.locked_out("op-7", T0 + timedelta(seconds=n))
        sessions.failed("op-7", T0 + timedelta(seconds=n))
    assert sessions.locked_out("op-7", T0 + timedelta(minutes=1))
    assert not sessions.locked_out("op-8", T0 + timedelta(minutes=1))
    assert not sessions.locked_out("op-7", T0 + timedelta(minutes=6))
