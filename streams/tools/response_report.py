"""`citygate report response`: response accounting over a window, as a table and a chart for a briefing.

The figures are the domain's (streams/domain/forces/accounting.py) over the incidents' timelines, read from
the compacted `incidents` topic (each incident's latest record carries when it was received, its units'
dispatches and arrivals, and when it closed). An incident's area is the street workstation nearest it.

matplotlib is imported when the chart is drawn (the `report` extra; the worker's image does not need it);
the Agg backend draws to a file without a display. Chinese workstation names are drawn with a CJK font
when one is installed (Debian's fonts-noto-cjk), else matplotlib's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from streams import topics
from streams.domain.forces.accounting import ALL_AREAS, AreaFigures, Timeline, timeline_of
from streams.domain.geography.geo import LonLat
from streams.domain.incidents.lifecycle import Incident
from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class Read:
    timelines: list[Timeline]
    unreadable: int  # records not an incident this release can read (skipped, counted)


def timelines_from(records: Iterable[Mapping[str, Any]], workstations: Mapping[str, LonLat]) -> Read:
    """The timelines of the incidents' latest records; a record that is not an incident is counted."""
    found, unreadable = [], 0
    for record in records:
        try:
            incident = Incident.from_record({k: v for k, v in record.items() if k != "schema_version"})
            found.append(timeline_of(incident, workstations))
        except (TypeError, KeyError, ValueError, AttributeError):
            unreadable += 1
    return Read(found, unreadable)


def read_timelines(settings: Settings) -> Read:
    """Every incident's timeline, from the `incidents` topic and the topology's workstations."""
    import orjson

    from streams.tools.kafka_io import read_to_end
    from streams.topology_file import load_topology

    topology = load_topology(settings)
    workstations = {p.id: p.location for p in topology.points.values() if p.kind == "street_workstation"}
    # The worker writes the topic; a value that is not JSON (someone else's) counts as unreadable.
    latest: dict[str, Any] = {}
    for key, value in read_to_end(settings, topics.INCIDENTS):
        if key is not None:
            latest[key.decode("utf-8", "replace")] = value
    records: list[Mapping[str, Any]] = []
    unreadable = 0
    for value in latest.values():
        if value is None:
            continue
        try:
            loaded = orjson.loads(value)
        except orjson.JSONDecodeError:
            loaded = None
        if isinstance(loaded, dict):
            records.append(loaded)
        else:
            unreadable += 1
    read = timelines_from(records, workstations)
    return Read(read.timelines, read.unreadable + unreadable)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


HEADER = ("area", "calls", "workstation", "closed", "median", "p90", "repeat", "responded")


def table_lines(rows: Sequence[AreaFigures]) -> list[str]:
    """The table as text: per area, then all (times in minutes:seconds, shares in per cent)."""
    width = max([len(HEADER[0]), *(len(r.area) for r in rows)])
    lines = [f"{HEADER[0]:<{width}}  " + "  ".join(f"{h:>11}" for h in HEADER[1:])]
    for row in rows:
        cells = (
            str(row.calls),
            _share(row.workstation_share),
            _share(row.closure_rate),
            _minutes(row.response_median_s),
            _minutes(row.response_p90_s),
            _share(row.repeat_rate),
            str(row.responded),
        )
        lines.append(f"{row.area:<{width}}  " + "  ".join(f"{c:>11}" for c in cells))
    return lines


def draw(path: Path, rows: Sequence[AreaFigures], since: datetime, until: datetime) -> Path:
    """A briefing chart: median and p90 response per area (minutes), and the shares per area."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name]
    if cjk:
        plt.rcParams["font.family"] = [cjk[0], "sans-serif"]
    areas = [r for r in rows if r.area != ALL_AREAS] or list(rows)
    names = [r.area for r in areas]
    xs = range(len(areas))
    fig, (times_ax, shares_ax) = plt.subplots(2, 1, figsize=(max(8.0, 0.6 * len(areas) + 3), 8))
    overall = next((r for r in rows if r.area == ALL_AREAS), None)
    headline = (
        ""
        if overall is None
        else (
            f": {overall.calls} calls, median response {_minutes(overall.response_median_s)}, "
            f"p90 {_minutes(overall.response_p90_s)}, closed {_share(overall.closure_rate)}"
        )
    )
    fig.suptitle(f"citygate response, {since:%Y-%m-%d %H:%M} → {until:%Y-%m-%d %H:%M}{headline}", fontsize=10)
    median = [(r.response_median_s or 0) / 60 for r in areas]
    p90 = [(r.response_p90_s or 0) / 60 for r in areas]
    times_ax.bar([x - 0.2 for x in xs], median, width=0.4, label="median")
    times_ax.bar([x + 0.2 for x in xs], p90, width=0.4, label="p90")
    times_ax.set_ylabel("call → first unit on scene (min)")
    times_ax.legend()
    for offset, label, values in (
        (-0.27, "by workstation units", [r.workstation_share for r in areas]),
        (0.0, "closed", [r.closure_rate for r in areas]),
        (0.27, "repeat calls", [r.repeat_rate for r in areas]),
    ):
        shares_ax.bar([x + offset for x in xs], [(v or 0) * 100 for v in values], width=0.27, label=label)
    shares_ax.set_ylabel("% of the area's calls")
    shares_ax.set_ylim(0, 100)
    shares_ax.legend()
    for ax in (times_ax, shares_ax):
        ax.set_xticks(list(xs))
        ax.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
        ax.grid(axis="y", color="0.9")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
