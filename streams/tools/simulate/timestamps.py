"""Event times as the camera gateways and the radio room write them: RFC 3339 in the configured offset, to
the millisecond. The per-second part is cached: one busy second holds hundreds of reads."""

from __future__ import annotations

from datetime import datetime, tzinfo


def epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the simulation needs an aware time")
    return round(moment.timestamp() * 1000)


def offset_text(minutes: int) -> str:
    """An RFC 3339 offset: Z or ±HH:MM."""
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class Timestamps:
    """Formats epoch times in one local time (`local`, `utc_offset_minutes` from UTC)."""

    def __init__(self, local: tzinfo, utc_offset_minutes: int) -> None:
        self._local = local
        self.offset = offset_text(utc_offset_minutes)
        self._cache: dict[int, tuple[str, str, str]] = {}

    def parts(self, epoch_s: int) -> tuple[str, str, str]:
        """(RFC 3339 date and time to the second, image folder date, image file time) for a second."""
        cached = self._cache.get(epoch_s)
        if cached is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            moment = datetime.fromtimestamp(epoch_s, self._local)
            cached = (
                moment.strftime("%Y-%m-%dT%H:%M:%S"),
                moment.strftime("%Y/%m/%d"),
                moment.strftime("%H%M%S"),
            )
            self._cache[epoch_s] = cached
        return cached
