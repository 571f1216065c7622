"""`citygate console`: a live terminal view for operators (rich), an ordinary consumer of the public topics.

In parts, so the view is tested without a broker: records.py reads one message into a row, state.py
(`ConsoleState`, pure) keeps what is on screen, view.py draws it with rich, io.py is the kafka-python loop
(`run_console`).

`run_console` is loaded on first use: kafka-python and rich take ≈250 ms to import, and the CLI reads the
defaults here for its options every time it starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streams.tools.console.exceptions import ConsoleError
from streams.tools.console.records import AlertRow, IncidentRow, LockdownEvent, LockdownView
from streams.tools.console.state import DEFAULT_LOOKBACK, DEFAULT_MAX_ALERTS, ConsoleState, parse_duration

if TYPE_CHECKING:
    from streams.tools.console.io import run_console

__all__ = [
    "DEFAULT_LOOKBACK",
    "DEFAULT_MAX_ALERTS",
    "AlertRow",
    "ConsoleError",
    "ConsoleState",
    "IncidentRow",
    "LockdownEvent",
    "LockdownView",
    "parse_duration",
    "run_console",
]


def __getattr__(name: str) -> object:
    if name == "run_console":
        from streams.tools.console.io import run_console

        return run_console
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
