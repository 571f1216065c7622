"""Expected conditions are not errors: a fresh worker's missing group coordinator is INFO at start, and the
same condition repeated during an outage is one WARNING per interval with the count held back."""

from __future__ import annotations

import logging

import aiokafka  # noqa: F401 - imports its modules, whose loggers the worker filters
import pytest

from streams.worker.logs import EXPECTED, ExpectedConditions, RepeatLimiter, quiet_expected_conditions

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


def client(name: str, message: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, None)


def test_a_client_error_repeating_during_an_outage_is_one_line_per_interval_with_a_count() -> None:
    clock = Clock()
    limiter = RepeatLimiter(every_s=5, clock=clock)
    template = "Unable connect to node with id %s: %s"
    kept = [limiter.filter(client("aiokafka", template, n % 3, "[Errno 111] refused")) for n in range(3000)]
    assert kept.count(True) == 1  # other nodes, same kind of line: one kind
    other = client("aiokafka", "Unable to update metadata from %s", [1])
    assert limiter.filter(other)  # another kind has its own interval
    clock.now += 6
    line = client("aiokafka", template, 1, "[Errno 111] refused")
    assert limiter.filter(line) and line.levelno == logging.ERROR
    assert (
        line.getMessage()
        == "Unable connect to node with id 1: [Errno 111] refused (2999 more like it in the last 6 s)"
    )


def test_info_and_debug_are_not_limited() -> None:
    limiter = RepeatLimiter(every_s=5, clock=Clock())
    assert all(
        limiter.filter(client("aiokafka", "Discovered coordinator", level=logging.INFO)) for _ in range(10)
    )


def test_every_client_logger_gets_a_limiter_and_a_coordinator_line_is_limited_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet_expected_conditions(startup_s=0)
    for name in ("aiokafka", "aiokafka.consumer.fetcher", "faust.transport.drivers.aiokafka", COORDINATOR):
        assert sum(isinstance(f, RepeatLimiter) for f in logging.getLogger(name).filters) == 1, name
    logger = logging.getLogger(COORDINATOR)
    with caplog.at_level(logging.DEBUG, logger=COORDINATOR):
        logger.error("Group Coordinator Request failed: %s", "[Error 15] GroupCoordinatorNotAvailableError")
        logger.error("Group Coordinator Request failed: %s", "[Error 15] GroupCoordinatorNotAvailableError")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    quiet_expected_conditions()


def test_a_line_with_its_count_formats_under_fausts_log_formatter() -> None:
    """mode's formatter wraps non-tuple args in a tuple: a rewritten line must carry no args at all."""
    from mode.utils.logging import ExtensionFormatter

    clock = Clock()
    limiter = RepeatLimiter(every_s=5, clock=clock)
    limiter.filter(client("aiokafka", "Unable connect to node with id %s: %s", 1, "refused"))
    limiter.filter(client("aiokafka", "Unable connect to node with id %s: %s", 1, "refused"))
    clock.now += 6
    line = client("aiokafka", "Unable connect to node with id %s: %s", 1, "100% refused")
    assert limiter.filter(line)
    assert (
        ExtensionFormatter(fmt="%(message)s")
        .format(line)
        .endswith("100% refused (1 more like it in the last 6 s)")
    )
