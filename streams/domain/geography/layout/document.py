"""The generated graph as the topology document: the three ring polygons, then every point by kind with its
id (numbered from the innermost ring outward, then by distance and bearing), neighbours and readable name."""

from __future__ import annotations

import math

from streams.domain.geography.layout.geometry import bearing_of, to_lonlat
from streams.domain.geography.layout.graph import Graph
from streams.domain.geography.layout.tables import (
    CENTRE,
    DESCRIPTION,
    KIND_LABELS,
    PREFIXES,
    RING_LABELS,
    RING_ROADS,
)
from streams.domain.geography.topology import RING_ORDER, SEED_COUNTS


def document(graph: Graph) -> dict[str, object]:
    """The FeatureCollection of the graph's live nodes; each kind must have its `SEED_COUNTS` count."""
    alive = [i for i, n in enumerate(graph.nodes) if n.alive]
    neighbours: dict[int, set[int]] = {i: set() for i in alive}
    for road in graph.roads:
        members = [i for _, i in sorted(road.members) if graph.nodes[i].alive]
        pairs = list(zip(members, members[1:], strict=False))
        if road.closed and len(members) > 2:
            pairs.append((members[-1], members[0]))
        for a, b in pairs:
            if a != b:
                neighbours[a].add(b)
                neighbours[b].add(a)
    rank = {ring: k for k, ring in enumerate(RING_ORDER)}

    def order(i: int) -> tuple[int, int, float, float, int]:
        n = graph.nodes[i]
        on_ring = n.ring is not None and n.kind != "rapid_response_point"
        distance = 0.0 if on_ring else round(math.hypot(n.x, n.y), 3)
        return (rank.get(n.ring or "", 3), 0 if on_ring else 1, distance, round(bearing_of(n.x, n.y), 4), i)

    ids: dict[int, str] = {}
    for kind, (prefix, width) in PREFIXES.items():
        members = sorted((i for i in alive if graph.nodes[i].kind == kind), key=order)
        if len(members) != SEED_COUNTS[kind]:
            raise AssertionError(f"generated {len(members)} {kind}, expected {SEED_COUNTS[kind]}")
        for k, i in enumerate(members, start=1):
            ids[i] = f"{prefix}-{k:0{width}d}"
    names = _names(graph, sorted(alive, key=lambda i: ids[i]))
    features: list[object] = []
    for k, ring in enumerate(RING_ORDER):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [graph.web.polygon(k)]},
                "properties": {
                    "feature_type": "ring",
                    "name": ring,
                    "label": RING_LABELS[ring],
                    "road": RING_ROADS[ring],
                },
            }
        )
    for kind in PREFIXES:
        for i in sorted((i for i in alive if graph.nodes[i].kind == kind), key=lambda i: ids[i]):
            n = graph.nodes[i]
            lon, lat = to_lonlat(n.x, n.y)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                    "properties": {
                        "feature_type": "point",
                        "id": ids[i],
                        "kind": kind,
                        "ring": n.ring,
                        "road": n.road,
                        "response_minutes": n.minutes,
                        "neighbours": sorted(ids[j] for j in neighbours[i]),
                        "name": names[i],
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "synthetic": True,
        "description": DESCRIPTION,
        "seed": graph.seed,
        "centre": list(CENTRE),
        "features": features,
    }


def _names(graph: Graph, order: list[int]) -> dict[int, str]:
    """Readable names; points that would share one are numbered."""
    base: dict[int, str] = {}
    for i in order:
        n = graph.nodes[i]
        if n.name:
            base[i] = n.name
        elif n.kind == "rapid_response_point":
            base[i] = f"{n.stem}{n.minutes}分钟快反点"
        else:
            base[i] = f"{n.stem}{KIND_LABELS[n.kind]}"
    totals: dict[str, int] = {}
    for name in base.values():
        totals[name] = totals.get(name, 0) + 1
    seen: dict[str, int] = {}
    result = {}
    for i in order:
        name = base[i]
        if totals[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            name = f"{name}{seen[name]}号"
        result[i] = name
    return result
