"""What the worker's log says about conditions Kafka clients report at ERROR that are not errors for us.

- A fresh worker always meets a group coordinator that does not exist yet (the broker creates
  `__consumer_offsets` on first use): aiokafka logs `GroupCoordinatorNotAvailableError` at ERROR and "Marking
  the coordinator dead" at WARNING on every start. Within `startup` of the worker starting these are INFO.
- Later, the same conditions (and lost connections) repeat many times a second while a broker is away: each
  kind is logged at most once per `every`, as a WARNING with the count of those held back, so an outage reads
  as a few lines a person can follow instead of hundreds a second.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

# Logger → the messages from it that describe an expected condition, not a fault of ours.
EXPECTED = {
    "aiokafka.consumer.group_coordinator": re.compile(
        r"GroupCoordinatorNotAvailable|CoordinatorNotAvailable|NotCoordinator|Marking the coordinator dead"
        r"|CoordinatorLoadInProgress"
    ),
}


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
            record.args = None
        return True


def _set_level(record: logging.LogRecord, level: int) -> None:
    record.levelno = level
    record.levelname = logging.getLevelName(level)


def quiet_expected_conditions(*, startup_s: float = 60.0, every_s: float = 10.0) -> list[ExpectedConditions]:
    """Install the filters on the Kafka clients' loggers (again: replacing earlier ones); returns them."""
    installed = []
    for name, pattern in EXPECTED.items():
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, ExpectedConditions)]:
            logger.removeFilter(old)
        expected = ExpectedConditions(pattern, startup_s=startup_s, every_s=every_s)
        logger.addFilter(expected)
        installed.append(expected)
    return installed
