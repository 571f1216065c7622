"""The console's own error. A message it cannot show is no error: the domain's `InvalidInput` says why, and
the console counts it on screen and goes on."""

from __future__ import annotations


class ConsoleError(RuntimeError):
    """The console cannot start (no broker, missing topics); the message says what to do."""
