"""`generate_topology`: the order of the steps that turn a seed into the document. Every step draws from
the one seeded random source, so the order is part of the layout: changing it changes every seed's output."""

from __future__ import annotations

from streams.domain.geography.layout import points, roads
from streams.domain.geography.layout.document import document
from streams.domain.geography.layout.graph import Graph
from streams.domain.geography.layout.tables import WATER_POINTS
from streams.domain.geography.layout.towns import street_web
from streams.domain.geography.topology import SEED_COUNTS


def generate_topology(seed: int = 2022) -> dict[str, object]:
    """A GeoJSON FeatureCollection that `topology.load` accepts, with exactly `SEED_COUNTS` points."""
    graph = Graph(seed)
    rng = graph.rng
    counts = dict(SEED_COUNTS)
    core_ec = rng.randint(82, 104)
    urban_ec = rng.randint(205, 250)
    core_bp, urban_bp = 30, 50
    radials = roads.radials(graph)
    loops = roads.loops()
    centre = graph.node(0.0, 0.0, "文昌路", "文昌阁环岛", fixed=True)
    loop_roads, crossings = roads.cross(graph, radials, loops, centre)
    for bearing, kind, road, name in WATER_POINTS:
        x, y = graph.web.xy(bearing, 3.0)
        crossings[3.0].append(
            (bearing, graph.node(x, y, road, name, fixed=True, ring="city", kind=kind, name=name))
        )
    exit_blockades = sum(1 for _, i in crossings[3.0] if graph.nodes[i].kind == "blockade_point")
    city_bp = counts["blockade_point"] - core_bp - urban_bp - exit_blockades
    totals = {1.0: core_ec + core_bp, 2.0: urban_ec + urban_bp, 3.0: len(crossings[3.0]) + city_bp}
    for level, name, _ in loops:
        roads.fill_loop(graph, loop_roads[level], level, name, crossings[level], totals.get(level))
    for radial in radials:
        roads.fill_radial(graph, radial)
    for radial in radials:
        for level, town in radial.towns.items():
            street_web(graph, radial, level, town)
    points.assign_ring_kinds(graph, crossings, {1.0: core_bp, 2.0: urban_bp})
    points.assign_interior(graph, counts["electronic_checkpoint"] - core_ec - urban_ec)
    return document(graph)
