"""What the worker's log says about conditions Kafka clients report at ERROR that are not errors for us.

- A fresh worker always meets a group coordinator that does not exist yet (the broker creates
  `__consumer_offsets` on first use): aiokafka logs `GroupCoordinatorNotAvailableError` at ERROR and "Marking
  the coordinator dead" at WARNING on every start. Within `startup` of the worker starting these are INFO.
- Later, the same conditions (and lost connections) repeat many times a second while a broker is away: each
  kind is logged at most once per `every`, as a WARNING with the count of those held back, so an outage reads
  as a few lines a person can follow instead of hundreds a second.
- Every other warning or error of the Kafka clients (connection refused, metadata not updated, fetch or
  produce failed: what the clients retry by themselves) is rate-limited the same way, per logger and message
  template, at its own level (`RepeatLimiter`).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable

# Logger → the messages from it that describe an expected condition, not a fault of ours.
EXPECTED = {
    "aiokafka.consumer.group_coordinator": re.compile(
        r"GroupCoordinatorNotAvailable|CoordinatorNotAvailable|NotCoordinator|Marking the coordinator dead"
        r"|CoordinatorLoadInProgress"
    ),
}


# Loggers of the Kafka clients' code that retries by itself (aiokafka's, and Faust's transport over it).
CLIENT_LOGGER_ROOTS = ("aiokafka", "faust.transport")
# Faust imports its Kafka transport lazily: its loggers are named here so they are covered from the start.
FAUST_TRANSPORT_LOGGERS = (
    "faust.transport.consumer",
    "faust.transport.producer",
    "faust.transport.drivers.aiokafka",
)
_LIMITED = "_citygate_limited"  # set on a record one filter has already rate-limited


class ExpectedConditions(logging.Filter):
    """Lowers expected start-up conditions to INFO and rate-limits them afterwards (see the module)."""

    def __init__(
        self,
        pattern: re.Pattern[str],
        *,
        startup_s: float = 60.0,
        every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.pattern = pattern
        self.clock = clock
        self.started = clock()
        self.startup_s = startup_s
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        found = self.pattern.search(message)
        if found is None:
            return True
        now = self.clock()
        if now - self.started < self.startup_s:
            _set_level(record, logging.INFO)
            return True
        kind = found.group(0)
        last = self._last.get(kind)
        if last is not None and now - last < self.every_s:
            self._held[kind] = self._held.get(kind, 0) + 1
            return False
        held = self._held.pop(kind, 0)
        self._last[kind] = now
        _set_level(record, logging.WARNING)
        if held and last is not None:
            record.msg = f"{message} ({held} more like it in the last {now - last:.0f} s)"
            record.args = ()
        setattr(record, _LIMITED, True)
        return True


class RepeatLimiter(logging.Filter):
    """Lets one warning or error per logger and message template through every `every_s`; the next one
    after the interval says how many were held back. Lower levels pass untouched."""

    def __init__(self, *, every_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every_s = every_s
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()  # Faust runs its consumer's client in a thread of its own

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or getattr(record, _LIMITED, False):
            return True
        kind = (record.name, str(record.msg))
        now = self.clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.every_s:
                self._held[kind] = self._held.get(kind, 0) + 1
                return False
            self._last[kind] = now
            held = self._held.pop(kind, 0)
        if held and last is not None:
            record.msg = f"{record.getMessage()} ({held} more like it in the last {now - last:.0f} s)"
            record.args = ()
        setattr(record, _LIMITED, True)
        return True


def client_loggers() -> list[str]:
    """The Kafka clients' loggers: every module of theirs imported so far, and the roots."""
    names = {name for name in sys.modules if name.startswith(CLIENT_LOGGER_ROOTS)}
    return sorted(names | set(CLIENT_LOGGER_ROOTS) | set(FAUST_TRANSPORT_LOGGERS))


def _set_level(record: logging.LogRecord, level: int) -> None:
    record.levelno = level
    record.levelname = logging.getLevelName(level)


# The libraries whose DEBUG lines print records' keys and values (Faust's and aiokafka's producers log every
# send, dead letters included, and a dead letter holds the refused hit, plate and all). They log at INFO and
# above whatever the worker's level: `-l debug` debugs citygate, and no plate of a hit that matched nothing
# reaches a log.
PAYLOAD_LOGGING_LIBRARIES = ("aiokafka", "faust", "kafka", "mode")


def keep_payloads_out_of_logs() -> None:
    """Raise the Kafka libraries' loggers to INFO at least (their children inherit it)."""
    for name in PAYLOAD_LOGGING_LIBRARIES:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


def quiet_expected_conditions(
    *, startup_s: float = 60.0, every_s: float = 10.0, repeat_every_s: float = 5.0
) -> list[logging.Filter]:
    """Install the filters on the Kafka clients' loggers (again: replacing earlier ones); returns them.
    Call once the clients are imported (the worker does when it builds its app)."""
    installed: list[logging.Filter] = []
    for name in sorted(set(client_loggers()) | set(EXPECTED)):
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, ExpectedConditions | RepeatLimiter)]:
            logger.removeFilter(old)
        pattern = EXPECTED.get(name)
        if pattern is not None:
            expected = ExpectedConditions(pattern, startup_s=startup_s, every_s=every_s)
            logger.addFilter(expected)
            installed.append(expected)
        limiter = RepeatLimiter(every_s=repeat_every_s)
        logger.addFilter(limiter)
        installed.append(limiter)
    return installed
