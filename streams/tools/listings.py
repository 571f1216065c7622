"""One plain line per item for the listing commands (`citygate incidents`, `lockdowns`, `watchlist list`,
`topics list`, `topology check`, scenario outcomes): what an operator reads on a terminal or greps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from streams.domain.geography.topology import Topology
    from streams.domain.matching.watchlist import WatchlistEntry
    from streams.tools.scenario import Outcome
    from streams.topics import TopicSpec


def latest_by_key(records: Iterable[tuple[bytes | None, bytes | None]]) -> dict[str, dict[str, Any]]:
    """The latest value of each key among (key, value) records: a state topic read as a table."""
    latest: dict[str, dict[str, Any]] = {}
    for key, value in records:
        if key is not None and value is not None:
            latest[key.decode("utf-8", "replace")] = orjson.loads(value)
    return latest


def incident_lines(incidents: Iterable[Mapping[str, Any]], *, show_all: bool) -> Iterator[str]:
    """Open incidents (all with `show_all`), as the `incidents` topic states them."""
    for incident in incidents:
        if show_all or incident.get("status") == "open":
            yield (
                f"{incident['incident_id']}  P{incident['priority']} {incident['category']:<16} "
                f"{incident['status']:<6} suspects {incident['captured']}/{incident['suspects']} caught  "
                f"{incident['address']}  calls {len(incident['call_ids'])}  "
                f"lockdown {incident.get('lockdown_id') or '-'}"
            )


def lockdown_lines(events: Iterable[Mapping[str, Any]], *, show_all: bool) -> Iterator[str]:
    """Active lockdowns (all with `show_all`) from the latest event of each: rings, sealed, staffing."""
    for event in events:
        if show_all or event.get("status") == "active":
            progress = ", ".join(
                f"{ring} {event['staffed'].get(ring, 0)}/{n}" for ring, n in event["required"].items()
            )
            yield (
                f"{event['lockdown_id']}  {event['status']:<6} rings {'/'.join(event['rings'])}  "
                f"sealed {'/'.join(event['sealed']) or '-'}  staffed {progress}  "
                f"incident {event['incident_id']}  (last: {event['type']} at {event['at'][:19]})"
            )


def watchlist_lines(entries: Iterable[WatchlistEntry], *, as_json: bool) -> Iterator[str]:
    """Entries by priority, then id: one readable line each, or one JSON object each."""
    for entry in sorted(entries, key=lambda e: (e.priority, e.entry_id)):
        if as_json:
            yield orjson.dumps({k: getattr(entry, k) for k in entry.__slots__}, default=str).decode()
        else:
            until = entry.valid_until.isoformat() if entry.valid_until else "open-ended"
            covert = " covert" if entry.covert else ""
            yield (
                f"{entry.entry_id:<18} {entry.plate_normalised:<10} P{entry.priority} {entry.category:<10}"
                f" until {until}{covert}  {entry.reason}"
            )


def topic_line(spec: TopicSpec, name: str, exists: bool) -> str:
    """A topic (physical `name`): whether it exists, partitions, key, who writes and reads it."""
    state = "ok" if exists else "MISSING"
    return (
        f"{name:<32} {state:<8} {spec.partitions:>3}p  key={spec.key:<14} {spec.producer} → {spec.consumer}"
    )


def topology_summary(topology: Topology) -> str:
    """The rings, and how many points of each kind."""
    kinds: dict[str, int] = {}
    for point in topology.points.values():
        kinds[point.kind] = kinds.get(point.kind, 0) + 1
    return f"rings {', '.join(topology.rings)}; " + ", ".join(
        f"{n} {kind}" for kind, n in sorted(kinds.items())
    )


def outcome_line(outcome: Outcome, started: datetime, speed: float) -> str:
    """A scenario outcome: met or not, when (seconds after `started`, and in scenario minutes)."""
    if outcome.met and outcome.at is not None:
        seconds = max(0.0, (outcome.at - started).total_seconds())
        when = f"+{seconds:6.1f} s (scenario minute {seconds * speed / 60:5.1f})"
    else:
        when = " " * 33
    return f"  {'MET    ' if outcome.met else 'NOT MET'} {when}  {outcome.name} ({outcome.detail})"


def scenario_finished_line(name: str, seconds: float, outcomes: Sequence[Outcome] | None) -> str:
    """The last line of a scenario run: how long it took and whether its outcomes were met (None: not
    checked), so a run that scrolled past, or ran in the background as `make demo`'s drill, says how it
    ended in one line."""
    took = f"scenario {name} finished after {seconds:.1f} s"
    if outcomes is None:
        return f"{took}: played, outcomes not checked (--no-verify)"
    unmet = sum(1 for outcome in outcomes if not outcome.met)
    if not unmet:
        return f"{took}: all {len(outcomes)} outcomes met"
    return f"{took}: {unmet} of {len(outcomes)} outcomes NOT met"
