"""Response accounting: how fast and how well calls are answered, per incident and per area.

The seed's patrol reform is judged by numbers (workstations took 21.4% of the calls in their area, closed
96.5%, answered 3-5 minutes sooner, and repeat calls fell 22.8%); these are those numbers, computed from
incidents' timelines so citygate can measure them rather than assert them. Pure: timelines in, figures out.

Definitions (each tested on hand-made timelines):
- an incident's **response** is received → first unit on scene; **dispatch delay** received → dispatched;
- an incident is **handled by a workstation** when its first unit on scene is a workstation's unit;
- **closure rate**: the incidents received in the window that are closed (by the window's end);
- **median** and **p90** of response: the median of the responses (the mean of the middle two for an even
  count) and the nearest-rank 90th percentile (the ⌈0.9·n⌉-th smallest); None without any arrival;
- a **repeat call** is an incident received within `REPEAT_WITHIN` after an earlier incident of the same
  category within `REPEAT_RADIUS_M` was closed; the **repeat rate** is their share of the window's incidents.
An incident's **area** is the street workstation nearest its place (`area_of`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat
from streams.domain.incidents.lifecycle import Incident

REPEAT_WITHIN = timedelta(hours=24)
REPEAT_RADIUS_M = 500.0
ALL_AREAS = "all"


@dataclass(frozen=True, slots=True)
class Timeline:
    incident_id: str
    category: str
    place: LonLat
    area: str
    received_at: datetime
    dispatched_at: datetime | None = None
    on_scene_at: datetime | None = None  # the first unit's arrival
    closed_at: datetime | None = None
    first_unit_kind: str | None = None  # the registry kind of the first unit on scene

    @property
    def response_s(self) -> float | None:
        if self.on_scene_at is None:
            return None
        return max(0.0, (self.on_scene_at - self.received_at).total_seconds())

    @property
    def dispatch_delay_s(self) -> float | None:
        if self.dispatched_at is None:
            return None
        return max(0.0, (self.dispatched_at - self.received_at).total_seconds())

    @property
    def by_workstation(self) -> bool:
        return self.first_unit_kind == "workstation_unit"


@dataclass(frozen=True, slots=True)
class AreaFigures:
    area: str
    calls: int
    workstation_share: float | None  # of the calls
    closure_rate: float | None
    response_median_s: float | None
    response_p90_s: float | None
    repeat_rate: float | None
    responded: int  # calls with a unit on scene


def area_of(place: LonLat, workstations: Mapping[str, LonLat]) -> str:
    """The id of the workstation nearest `place` (ties by id); "none" when there is none."""
    if not workstations:
        return "none"
    return min(workstations, key=lambda ws: (geo.distance_m(place, workstations[ws]), ws))


def timeline_of(incident: Incident, workstations: Mapping[str, LonLat]) -> Timeline:
    """An incident's timeline from its record: received when it started, dispatched when its first unit
    was sent, on scene when the first of them arrived (and that unit's kind), closed when it closed."""
    place = (incident.lon, incident.lat)
    sent = [datetime.fromisoformat(str(e["dispatched_at"])) for e in incident.dispatches]
    arrivals = sorted(
        (datetime.fromisoformat(str(e["arrived_at"])), str(e["unit_kind"]))
        for e in incident.dispatches
        if e.get("arrived_at")
    )
    closed = incident.closed_at or (incident.updated_at if incident.status == "closed" else None)
    return Timeline(
        incident_id=incident.incident_id,
        category=incident.category,
        place=place,
        area=area_of(place, workstations),
        received_at=datetime.fromisoformat(incident.started_at),
        dispatched_at=min(sent) if sent else None,
        on_scene_at=arrivals[0][0] if arrivals else None,
        closed_at=None if closed is None else datetime.fromisoformat(closed),
        first_unit_kind=arrivals[0][1] if arrivals else None,
    )


def nearest_rank(values: Sequence[float], share: float) -> float | None:
    """The ⌈share·n⌉-th smallest of `values` (nearest-rank percentile); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def repeats(timelines: Iterable[Timeline]) -> set[str]:
    """The incidents that are repeat calls: received within 24 h after a closed incident of the same
    category within 500 m was closed."""
    found: set[str] = set()
    by_category: dict[str, list[Timeline]] = {}
    for timeline in timelines:
        by_category.setdefault(timeline.category, []).append(timeline)
    for same in by_category.values():
        closed = [t for t in same if t.closed_at is not None]
        for timeline in same:
            for earlier in closed:
                assert earlier.closed_at is not None  # noqa: S101 - filtered above
                if earlier.incident_id == timeline.incident_id or earlier.closed_at > timeline.received_at:
                    continue
                if timeline.received_at - earlier.closed_at > REPEAT_WITHIN:
                    continue
                if geo.distance_m(earlier.place, timeline.place) <= REPEAT_RADIUS_M:
                    found.add(timeline.incident_id)
                    break
    return found


def response_table(timelines: Iterable[Timeline], since: datetime, until: datetime) -> list[AreaFigures]:
    """Figures per area for the incidents received in [since, until), areas by id, then "all". Repeat
    calls are judged against every timeline given (one closed before the window counts)."""
    every = list(timelines)
    repeated = repeats(every)
    window = [t for t in every if since <= t.received_at < until]
    areas: dict[str, list[Timeline]] = {}
    for timeline in window:
        areas.setdefault(timeline.area, []).append(timeline)
    rows = [_figures(area, areas[area], repeated, until) for area in sorted(areas)]
    rows.append(_figures(ALL_AREAS, window, repeated, until))
    return rows


def _figures(area: str, timelines: list[Timeline], repeated: set[str], until: datetime) -> AreaFigures:
    calls = len(timelines)
    responses = [r for r in (t.response_s for t in timelines) if r is not None]

    def share(count: int) -> float | None:
        return None if calls == 0 else count / calls

    return AreaFigures(
        area=area,
        calls=calls,
        workstation_share=share(sum(t.by_workstation for t in timelines)),
        closure_rate=share(sum(t.closed_at is not None and t.closed_at <= until for t in timelines)),
        response_median_s=statistics.median(responses) if responses else None,
        response_p90_s=nearest_rank(responses, 0.9),
        repeat_rate=share(sum(t.incident_id in repeated for t in timelines)),
        responded=len(responses),
    )
