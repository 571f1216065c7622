"""A retro scan that fails is tried again until it succeeds, never escaping the watchlist agent (Faust would
ack the batch of entries without their retro-match)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from streams.domain.matching.alerts import Alert
from streams.domain.matching.watchlist import WatchlistEntry
from streams.settings import Settings
from streams.worker.watchlist import retro_scan
from streams.worker.watchlist.retro_scan import RetroScanner


class Flaky(RetroScanner):
    def __init__(self, failures: list[BaseException]) -> None:
        super().__init__(Settings())
        self.failures = failures
        self.attempts = 0

    async def scan(self, entries: Sequence[WatchlistEntry], now: datetime) -> list[Alert]:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        return []


def test_a_failed_scan_is_tried_again_until_it_succeeds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(retro_scan, "RETRY_FIRST_S", 0.01)
    scanner = Flaky([ConnectionError("broker gone"), RuntimeError("reader process died")])
    assert asyncio.run(scanner.scan_until_done([], datetime.now(UTC))) == []
    assert scanner.attempts == 3
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 2 and "ConnectionError: broker gone" in failures[0]


def test_cancelling_the_agent_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retro_scan, "RETRY_FIRST_S", 0.01)
    scanner = Flaky([asyncio.CancelledError()])
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scanner.scan_until_done([], datetime.now(UTC)))
    assert scanner.attempts == 1
