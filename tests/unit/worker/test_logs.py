"""Expected conditions are not errors: a fresh worker's missing group coordinator is INFO at start, and the
same condition repeated during an outage is one WARNING per interval with the count held back."""

from __future__ import annotations

import logging

import pytest

from streams.worker.logs import EXPECTED, ExpectedConditions, quiet_expected_conditions

COORDINATOR = "aiokafka.consumer.group_coordinator"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(message: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(COORDINATOR, level, __file__, 1, message, None, None)


def test_at_start_the_missing_coordinator_is_info() -> None:
    clock = Clock()
    expected = ExpectedConditions(EXPECTED[COORDINATOR], startup_s=60, every_s=10, clock=clock)
    line = record("Group Coordinator Request failed: [Error 15] GroupCoordinatorNotAvailableError")
    assert expected.filter(line) and line.levelno == logging.INFO and line.levelname == "INFO"
    dead = record("Marking the coordinator dead (node 1)for group citygate.", logging.WARNING)
    assert expected.filter(dead) and dead.levelno == logging.INFO


def test_later_the_same_condition_is_one_warning_per_interval_with_a_count() -> None:
    clock = Clock()
    expected = ExpectedConditions(EXPECTED[COORDINATOR], startup_s=60, every_s=10, clock=clock)
    clock.now += 120
    kept = [expected.filter(record("[Error 15] GroupCoordinatorNotAvailableError")) for _ in range(250)]
    assert kept.count(True) == 1
    clock.now += 11
    line = record("[Error 15] GroupCoordinatorNotAvailableError")
    assert expected.filter(line) and line.levelno == logging.WARNING
    assert "249 more like it in the last 11 s" in line.getMessage()


def test_anything_else_passes_untouched() -> None:
    expected = ExpectedConditions(EXPECTED[COORDINATOR], clock=Clock())
    line = record("Heartbeat failed: unexpected error")
    assert expected.filter(line) and line.levelno == logging.ERROR


def test_the_worker_installs_the_filters_once(caplog: pytest.LogCaptureFixture) -> None:
    quiet_expected_conditions()
    quiet_expected_conditions()
    logger = logging.getLogger(COORDINATOR)
    assert sum(isinstance(f, ExpectedConditions) for f in logger.filters) == 1
    with caplog.at_level(logging.DEBUG, logger=COORDINATOR):
        logger.error("Group Coordinator Request failed: %s", "[Error 15] GroupCoordinatorNotAvailableError")
    assert [r.levelname for r in caplog.records] == ["INFO"]
