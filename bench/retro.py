"""Scenario r: the retro-match scan rate, with citygate's own `RetroScanner` run in the harness process.

Why in-process: the scan is a client of Kafka like the worker's `check_watchlist` agent, and the question
is how many hits per second that code gets through, not what the rest of a worker costs. The scanner is
the one the worker runs (`streams.worker.watchlist.retro_scan.RetroScanner`), on a scenario's own
`anpr.hits` filled with the usual hits, for one batch of newly listed entries: plates read in those hits
and plates no hit reads. The hits read are the scanner's own count (its log line), and the alerts found
say whether it found every plate it should.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import resource
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from bench import cluster
from bench.cluster import BenchError, scenario_settings
from bench.scenarios import Context
from bench.workload import entry_message, outside_entries
from streams import codecs
from streams.domain.matching.equivalence import equivalence_key
from streams.domain.matching.plates import normalise_plate
from streams.domain.matching.watchlist import WatchlistEntry
from streams.topics import HITS
from streams.worker.watchlist.retro_scan import RetroScanner

# The scan rate docs/operators.md quotes for the Kafka-log store (465-byte hits, an earlier commit).
BASELINE_HITS_PER_S = 47_000
SCANNER_LOGGER = "streams.worker.watchlist.retro_scan"
_HITS_READ = re.compile(r"(\d+) hits read")


@dataclass
class RetroScan:
    """Scenario r's figures."""

    label: str
    hits_in_topic: int
    hits_read: int | None  # the scanner's own count; None when its log line could not be read
    entries: int
    entries_in_hits: int
    entries_absent: int
    produce_s: float
    scan_s: float  # RetroScanner.scan, wall clock, its wait past the listing grace already over
    scanner_s: float | None  # the time the scanner logs (from opening its consumer to the last chunk)
    hits_per_s: float
    cpu_s_per_1k: float  # the harness process (the scanner and its consumer) over the scan
    alerts: int
    alerts_by_match_type: dict[str, int]
    present_found: int  # entries on plates read in the hits that got at least one alert
    absent_found: int  # entries on plates no hit reads that got one anyway: should be 0
    baseline_hits_per_s: int = BASELINE_HITS_PER_S
    loadavg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    note: str = field(default="")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def pick_plates(prefill: list[tuple[bytes, bytes]], count: int, avoid: frozenset[str]) -> list[str]:
    """`count` distinct plates (by OCR-equivalence key) read as `plate_text` in hits spread evenly over
    `prefill`, none whose key is in `avoid` (the listed ones: those are matched live already)."""
    plates: list[str] = []
    keys: set[str] = set(avoid)
    if not prefill or count <= 0:
        return plates
    step = max(1, len(prefill) // (count * 2))
    for index in range(0, len(prefill), step):
        message = orjson.loads(prefill[index][1])
        plate = normalise_plate(str(message["plate_text"]))
        key = equivalence_key(plate)
        if key in keys:
            continue
        keys.add(key)
        plates.append(plate)
        if len(plates) == count:
            break
    return plates


def new_entries(
    plates: list[str], absent: int, *, seed: int, now: datetime, listed_at: datetime
) -> tuple[list[WatchlistEntry], set[str]]:
    """Entries listed at `listed_at` for `plates`, plus `absent` on plates no hit reads; and the ids of
    the latter. Parsed by `codecs.parse_entry`, as the worker parses a record it consumes."""
    rng = random.Random(seed * 31 + 7)
    values = [
        (f"WL-RETRO-{n:04d}", entry_message(rng, f"WL-RETRO-{n:04d}", p, now)) for n, p in enumerate(plates)
    ]
    outside = list(outside_entries(seed + 1, absent, now=now, prefix="WL-RETRO-X"))
    entries = []
    for entry_id, value in [*values, *outside]:
        # In force since before any hit was produced, and not expiring during the run.
        value = {**value, "valid_from": (now - timedelta(days=1)).isoformat(), "valid_until": None}
        entries.append(codecs.parse_entry(entry_id, value, listed_at=listed_at))
    return entries, {entry_id for entry_id, _ in outside}


class _ScannerLog(logging.Handler):
    """Keeps the scanner's INFO lines (the hits it read and its own seconds)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def scanned_counts(lines: list[str]) -> tuple[int | None, float | None]:
    """(hits read, seconds) from the scanner's summary line, None for what it does not say."""
    for line in reversed(lines):
        match = _HITS_READ.search(line)
        if match:
            seconds = re.search(r"([\d.]+) s\s*$", line)
            return int(match.group(1)), float(seconds.group(1)) if seconds else None
    return None, None


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(ctx: Context, present: int, absent: int) -> RetroScan:
    """Fill the scenario's anpr.hits, list `present` plates read in the hits and `absent` others just
    after, wait past the listing grace, then time one `RetroScanner.scan` of the batch."""
    settings = scenario_settings(ctx.bootstrap, ctx.run_id, "r", str(ctx.workdir / "data-r"))
    label = f"r. retro-match scan of {present + absent} new entries"
    loadavg_start = os.getloadavg()
    print(f"[r] {label}: filling {settings.topic(HITS)} with {len(ctx.prefill):,} hits", flush=True)
    try:
        cluster.setup_topics(settings)
        produce_s = cluster.produce(
            settings.kafka_bootstrap,
            settings.topic(HITS),
            ctx.prefill,
            partitions=settings.hits_partitions,
            stamp_every=2000,
        )
        total = sum(cluster.end_offsets(settings.kafka_bootstrap, settings.topic(HITS)).values())
        if total != len(ctx.prefill):
            raise BenchError(
                f"{settings.topic(HITS)} holds {total} hits after filling, expected {len(ctx.prefill)}"
            )
        # Listed so that every hit in the topic reached Kafka before listed_at + grace (the retro-match's
        # share, not live matching's), then waited past that moment so `scan` reads at once.
        filled = datetime.now(UTC)
        grace = timedelta(seconds=settings.listing_grace_s)
        plates = pick_plates(ctx.prefill, present, ctx.workload.listed_keys)
        entries, absent_ids = new_entries(plates, absent, seed=ctx.seed, now=filled, listed_at=filled - grace)
        time.sleep(max(0.0, (filled + timedelta(seconds=1.2) - datetime.now(UTC)).total_seconds()))
        print(f"[r] filled in {produce_s:.1f}s; scanning for {len(entries)} entries", flush=True)
        scanner = RetroScanner(settings)
        handler = _ScannerLog()
        logger = logging.getLogger(SCANNER_LOGGER)
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        loadavg_before = os.getloadavg()
        try:
            cpu0 = _own_cpu()
            started = time.monotonic()
            alerts = asyncio.run(scanner.scan(entries, datetime.now(UTC)))
            scan_s = time.monotonic() - started
            cpu = _own_cpu() - cpu0
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        hits_read, scanner_s = scanned_counts(handler.lines)
        counted = hits_read if hits_read is not None else total
        found = {a.match.entry_id for a in alerts if a.match is not None}
        types = Counter(a.match.match_type for a in alerts if a.match is not None)
        result = RetroScan(
            label=label,
            hits_in_topic=total,
            hits_read=hits_read,
            entries=len(entries),
            entries_in_hits=len(plates),
            entries_absent=len(absent_ids),
            produce_s=round(produce_s, 2),
            scan_s=round(scan_s, 3),
            scanner_s=scanner_s,
            hits_per_s=round(counted / scan_s, 1),
            cpu_s_per_1k=round(cpu / max(1, counted) * 1000, 4),
            alerts=len(alerts),
            alerts_by_match_type=dict(sorted(types.items())),
            present_found=len(found - absent_ids),
            absent_found=len(found & absent_ids),
            loadavg_start=loadavg_start,
            loadavg_before=loadavg_before,
            loadavg_end=os.getloadavg(),
            note=""
            if hits_read is not None
            else "scanner log not found: hits/s counts every hit in the topic",
        )
        print(
            f"[r] scanned {counted:,} hits in {scan_s:.1f}s: {result.hits_per_s:,.0f} hits/s "
            f"(baseline {BASELINE_HITS_PER_S:,}); {result.alerts} alerts, {result.present_found}/"
            f"{len(plates)} listed plates found, {result.absent_found} absent ones",
            flush=True,
        )
        return result
    finally:
        cluster.teardown(settings, [])
