"""What an operator can ask of the console: how far back to look, and how many alert rows. Apart from the
rest (no rich, no Kafka, no domain) because the CLI reads these defaults every time it starts."""

from __future__ import annotations

import re
from datetime import timedelta

DEFAULT_LOOKBACK = timedelta(hours=2)
DEFAULT_MAX_ALERTS = 20

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90m`, `2h`, `1h30m`, `45s`, `1d` (a bare number is minutes)."""
    spec = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", spec):
        return timedelta(minutes=float(spec))
    if not spec or _DURATION.sub("", spec).strip():
        raise ValueError(f"not a duration: {text!r} (use e.g. 90m, 2h, 1h30m)")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(spec)))
