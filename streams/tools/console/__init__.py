"""`citygate console`: a live terminal view for operators (rich), an ordinary consumer of the public topics.

In parts, so the view is tested without a broker: records.py reads one message into a row, state.py
(`ConsoleState`, pure) keeps what is on screen, view.py draws it with rich, io.py is the kafka-python loop
(`run_console`), options.py the defaults an operator can change.

Each name below is loaded from its module on first use: the CLI reads the options' defaults every time it
starts, and kafka-python and rich take ≈250 ms to import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.tools.console.exceptions import ConsoleError
    from streams.tools.console.io import run_console
    from streams.tools.console.options import DEFAULT_LOOKBACK, DEFAULT_MAX_ALERTS, parse_duration
    from streams.tools.console.records import AlertRow, IncidentRow, LockdownEvent, LockdownView
    from streams.tools.console.state import ConsoleState

_HOMES = {
    "ConsoleError": "exceptions",
    "run_console": "io",
    "DEFAULT_LOOKBACK": "options",
    "DEFAULT_MAX_ALERTS": "options",
    "parse_duration": "options",
    "AlertRow": "records",
    "IncidentRow": "records",
    "LockdownEvent": "records",
    "LockdownView": "records",
    "ConsoleState": "state",
}
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
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
