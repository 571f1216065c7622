"""Where things are: the three control rings, every point and its road neighbours, and distances."""

from streams.domain.geography.geo import contains, distance_m, distance_to_boundary_m
from streams.domain.geography.topology import RING_ORDER, Point, Ring, Topology, TopologyError, load

__all__ = [
    "RING_ORDER",
    "Point",
    "Ring",
    "Topology",
    "TopologyError",
    "contains",
    "distance_m",
    "distance_to_boundary_m",
    "load",
]
