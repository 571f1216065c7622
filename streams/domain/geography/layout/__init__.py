"""The default topology document: a synthetic, seeded control geography for Yangzhou (see `topology.load`).

Nothing here is real police data. The counts are the 2022 report's (`topology.SEED_COUNTS`); the ring shapes,
road names and point positions are plausible inventions, the same for the same seed.

How the layout is built: all three rings are star-shaped around the old city and share one set of
corner bearings, so a "level" coordinate (0 = centre, 1 = core ring, 2 = urban ring, 3 = city ring, linear in
between along each bearing) maps any (bearing, level) to a place. Concentric roads live at fixed levels (the
three ring roads among them), radial roads are bearings that vary smoothly with the level; a radial and a
concentric road meet in one shared node, so the checkpoint graph needs no geometry search. Because every ring
is sampled at the same bearings and is smaller than the next one at each bearing, the rings nest by
construction. The county towns (Gaoyou, Baoying, Yizheng, Jiangdu) get a small street web of their own,
spliced into the national road through them.

The package's modules: `tables` (the fixed data), `geometry` (projection, ring web, outline), `graph` (the
nodes and roads being built), `roads` and `towns` (laying the network), `points` (kinds and exact counts),
`document` (the GeoJSON), and `builder` (the order of the steps).
"""

from __future__ import annotations

from streams.domain.geography.layout.builder import generate_topology
from streams.domain.geography.layout.tables import CENTRE, DESCRIPTION

__all__ = ["CENTRE", "DESCRIPTION", "generate_topology"]
