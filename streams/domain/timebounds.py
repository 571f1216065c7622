"""How far from the moment it reached Kafka each input's times may lie before they are absurd.

Every time on every input is bounded, so nothing downstream ever computes with a year-1970 call or a
year-9999 command (arithmetic near the ends of the calendar overflows, and a lockdown raised for a call
dated years ago closes the city's rings for nothing). The reference is the record's broker timestamp where
a consumer knows it (deterministic: a replay or a second worker judges a message the same way), else now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.domain.exceptions import InvalidInput

_YEAR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class TimeBounds:
    # Any time ahead of its reference by more than this is a clock fault (cameras, radios, call systems).
    max_skew: timedelta = timedelta(minutes=5)
    # How old each kind of input may be when it reaches Kafka.
    call_max_age: timedelta = timedelta(hours=24)
    report_max_age: timedelta = timedelta(hours=24)
    command_max_age: timedelta = timedelta(hours=1)  # an older command is stale (or replayed)
    entry_max_age: timedelta = 20 * _YEAR  # a vehicle stolen years ago is still wanted
    entry_max_validity: timedelta = 100 * _YEAR  # valid_until further ahead than this is absurd


_EVER = 20_000 * _YEAR  # wider than the calendar datetime knows (years 1..9999)
TIMELESS = TimeBounds(
    max_skew=_EVER,
    call_max_age=_EVER,
    report_max_age=_EVER,
    command_max_age=_EVER,
    entry_max_age=_EVER,
    entry_max_validity=_EVER,
)
"""For judging examples on everything but time (the contract tests): a window wider than the calendar."""


def check_time(
    moment: datetime, name: str, *, ref: datetime, max_age: timedelta, max_ahead: timedelta
) -> None:
    """Refuse `moment` when it lies more than `max_age` before `ref` or `max_ahead` after it. Compared, never
    added to: `ref ± bound` is computed only where it cannot overflow."""
    ahead = _seconds(moment, ref)
    if ahead > max_ahead.total_seconds():
        raise InvalidInput("invalid_value", f"{name} is {_span(ahead)} in the future (clock skew?)")
    if -ahead > max_age.total_seconds():
        raise InvalidInput(
            "invalid_value", f"{name} is {_span(-ahead)} old; at most {_span(max_age.total_seconds())}"
        )


def _seconds(moment: datetime, ref: datetime) -> float:
    """moment − ref in seconds, from epoch times (a datetime subtraction can overflow near the calendar's
    ends; timestamps cannot)."""
    return moment.timestamp() - ref.timestamp()


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.0f} h"
    if seconds < 3 * 365 * 86400:
        return f"{seconds / 86400:.0f} d"
    return f"{seconds / (365 * 86400):.0f} years"
