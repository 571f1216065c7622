"""Who is logged in to the web console: sessions with an idle and an absolute expiry, and a brake on
guessing passphrases. Time is passed in; nothing here touches the network.

A session is a random token in an HttpOnly, SameSite=Strict cookie. It holds the operator's unlocked
signing key (streams/web/keys.py) and whether the operator is cleared for restricted alerts; it ends on
logout, after `idle` without a request, or `longest` after login, and the key goes with it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from streams.signing import SigningKey

FAILURES_ALLOWED = 5  # wrong passphrases for one operator id within FAILURE_WINDOW before it is locked
FAILURE_WINDOW = timedelta(minutes=5)
MAX_TRACKED = 10_000  # operator ids with recent failures kept; beyond, the stale ones are forgotten


@dataclass
class Session:
    token: str
    operator_id: str
    key: SigningKey = field(repr=False)
    privileged: bool
    started: datetime
    last_seen: datetime


class Sessions:
    def __init__(self, idle: timedelta, longest: timedelta) -> None:
        self.idle = idle
        self.longest = longest
        self._by_token: dict[str, Session] = {}
        self._failures: dict[str, list[datetime]] = {}

    def __len__(self) -> int:
        return len(self._by_token)

    def open(self, key: SigningKey, privileged: bool, now: datetime) -> Session:
        session = Session(secrets.token_urlsafe(32), key.person_id, key, privileged, now, now)
        self._by_token[session.token] = session
        self._failures.pop(key.person_id, None)
        return session

    def get(self, token: str | None, now: datetime) -> Session | None:
        """The live session of `token` (its idle clock restarted), or None: unknown, ended or expired."""
        session = None if token is None else self._by_token.get(token)
        if session is None:
            return None
        if self._expired(session, now):
            del self._by_token[session.token]
            return None
        session.last_seen = now
        return session

    def alive(self, session: Session, now: datetime) -> bool:
        """Whether `session` still counts (for a stream that outlives the request that opened it)."""
        return self._by_token.get(session.token) is session and not self._expired(session, now)

    def close(self, token: str | None) -> None:
        if token is not None:
            self._by_token.pop(token, None)

    def sweep(self, now: datetime) -> None:
        for session in [s for s in self._by_token.values() if self._expired(s, now)]:
            del self._by_token[session.token]

    def locked_out(self, operator_id: str, now: datetime) -> bool:
        key = operator_id[:64]
        recent = [t for t in self._failures.get(key, ()) if now - t < FAILURE_WINDOW]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return len(recent) >= FAILURES_ALLOWED

    def failed(self, operator_id: str, now: datetime) -> None:
        if len(self._failures) >= MAX_TRACKED:  # guesses at made-up ids must not grow memory without end
            self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < FAILURE_WINDOW}
        self._failures.setdefault(operator_id[:64], []).append(now)

    def _expired(self, session: Session, now: datetime) -> bool:
        return now - session.last_seen > self.idle or now - session.started > self.longest
