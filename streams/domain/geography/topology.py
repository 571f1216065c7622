"""The city's control geography: three rings (core ⊂ urban ⊂ city) and every point that can be staffed.

Loaded from a GeoJSON FeatureCollection (any GIS tool can make or view one): ring features are Polygons with
`feature_type: "ring"` and `name` core/urban/city; point features are Points with `feature_type: "point"`,
`id`, `kind`, `ring` (for sealing kinds, the ring whose boundary the point guards, or null for points inside
the rings; for rapid-response points, the innermost ring they are stationed in),
`road`, `response_minutes` (1, 3 or 5 for rapid-response points) and `neighbours` (ids of the next points
along the roads: the checkpoint graph).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat

RING_ORDER = ("core", "urban", "city")  # innermost first
POINT_KINDS = (
    "electronic_checkpoint",
    "blockade_point",
    "rapid_response_point",
    "intercity_checkpoint",
    "expressway_station",
    "smart_checkpoint_station",
    "waterway_checkpoint",
    "water_duty_point",
    "street_workstation",
)
# The seed's counts (Yangzhou, 2022): what `generate` makes and what a deployment file usually has.
SEED_COUNTS = {
    "electronic_checkpoint": 3160,
    "blockade_point": 139,
    "rapid_response_point": 69,
    "intercity_checkpoint": 4,
    "expressway_station": 7,
    "smart_checkpoint_station": 1,
    "waterway_checkpoint": 1,
    "water_duty_point": 4,
    "street_workstation": 15,
}
# Kinds that seal a ring when staffed (a lockdown lists these on the ring's boundary).
SEALING_KINDS = frozenset(
    {
        "electronic_checkpoint",
        "blockade_point",
        "intercity_checkpoint",
        "expressway_station",
        "smart_checkpoint_station",
        "waterway_checkpoint",
        "water_duty_point",
    }
)


# Manned points seal a ring when staffed; cameras (electronic checkpoints) watch it.
MANNED_KINDS = SEALING_KINDS - {"electronic_checkpoint"}
_IDENTIFIER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")


class TopologyError(ValueError):
    """A topology document that cannot be used, with every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(
            "; ".join(problems[:20]) + (f" (+{len(problems) - 20} more)" if len(problems) > 20 else "")
        )
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Ring:
    name: str
    polygon: tuple[LonLat, ...]

    def contains(self, place: LonLat) -> bool:
        return geo.contains(self.polygon, place)

    def distance_to_boundary_m(self, place: LonLat) -> float:
        return geo.distance_to_boundary_m(self.polygon, place)


@dataclass(frozen=True, slots=True)
class Point:
    id: str
    kind: str
    ring: str | None
    road: str
    location: LonLat
    response_minutes: int | None = None
    neighbours: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class Topology:
    rings: Mapping[str, Ring]
    points: Mapping[str, Point]
    synthetic: bool = False
    _by_ring: Mapping[str | None, tuple[Point, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, rings: Iterable[Ring], points: Iterable[Point], *, synthetic: bool = False) -> Topology:
        ring_map = {ring.name: ring for ring in rings}
        point_map = {point.id: point for point in points}
        by_ring: dict[str | None, list[Point]] = {}
        for point in point_map.values():
            by_ring.setdefault(point.ring, []).append(point)
        frozen = {ring: tuple(sorted(found, key=lambda p: p.id)) for ring, found in by_ring.items()}
        return cls(ring_map, point_map, synthetic, frozen)

    def rings_around(self, place: LonLat) -> list[str]:
        """Names of the rings that contain `place`, innermost first."""
        return [name for name in RING_ORDER if name in self.rings and self.rings[name].contains(place)]

    def points_on(self, ring: str, kinds: Iterable[str] = SEALING_KINDS) -> tuple[Point, ...]:
        """The points guarding `ring`'s boundary, of the given kinds."""
        wanted = frozenset(kinds)
        return tuple(p for p in self._by_ring.get(ring, ()) if p.kind in wanted)

    def nearest(self, place: LonLat, kind: str, count: int) -> list[tuple[Point, float]]:
        """The `count` points of `kind` nearest to `place`, with their distances in metres."""
        found = [(p, geo.distance_m(place, p.location)) for p in self.points.values() if p.kind == kind]
        found.sort(key=lambda pair: (pair[1], pair[0].id))
        return found[:count]


def load(document: Mapping[str, object]) -> Topology:
    """Build a `Topology` from a GeoJSON FeatureCollection; raise `TopologyError` listing every problem."""
    problems: list[str] = []
    features = document.get("features")
    if document.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise TopologyError(["not a GeoJSON FeatureCollection"])
    rings: list[Ring] = []
    points: list[Point] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        where = f"feature {index}"
        if not isinstance(feature, dict):
            problems.append(f"{where}: not an object")
            continue
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        if not isinstance(props, dict) or not isinstance(geometry, dict):
            problems.append(f"{where}: properties and geometry must be objects")
            continue
        kind = props.get("feature_type")
        try:
            if kind == "ring":
                name = props.get("name")
                if name not in RING_ORDER:
                    problems.append(
                        f"{where}: ring name must be one of {', '.join(RING_ORDER)}, got {name!r}"
                    )
                    continue
                if any(ring.name == name for ring in rings):
                    problems.append(f"{where}: a second ring named {name}")
                    continue
                if geometry.get("type") != "Polygon" or not geometry.get("coordinates"):
                    problems.append(f"{where}: ring {name} needs a Polygon geometry")
                    continue
                outer = [(float(lon), float(lat)) for lon, lat, *_ in geometry["coordinates"][0]]
                if outer and outer[0] == outer[-1]:
                    outer.pop()
                if len(outer) < 3:
                    problems.append(f"{where}: ring {name} has fewer than 3 corners")
                    continue
                rings.append(Ring(str(name), tuple(outer)))
            elif kind == "point":
                point_id = str(props.get("id") or "")
                if not point_id:
                    problems.append(f"{where}: point without an id")
                    continue
                if point_id in seen:
                    problems.append(f"{where}: duplicate point id {point_id}")
                    continue
                seen.add(point_id)
                if props.get("kind") not in POINT_KINDS:
                    problems.append(f"point {point_id}: unknown kind {props.get('kind')!r}")
                    continue
                if geometry.get("type") != "Point":
                    problems.append(f"point {point_id}: needs a Point geometry")
                    continue
                lon, lat = (float(v) for v in geometry["coordinates"][:2])
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    problems.append(f"point {point_id}: coordinates out of range ({lon}, {lat})")
                    continue
                ring = props.get("ring")
                if ring is not None and ring not in RING_ORDER:
                    problems.append(f"point {point_id}: ring must be one of {', '.join(RING_ORDER)} or null")
                    continue
                minutes = props.get("response_minutes")
                if minutes is not None and (type(minutes) is not int or minutes not in (1, 3, 5)):
                    problems.append(
                        f"point {point_id}: response_minutes must be 1, 3, 5 or null, got {minutes!r}"
                    )
                    continue
                neighbours = props.get("neighbours") or []
                if not isinstance(neighbours, list):
                    problems.append(f"point {point_id}: neighbours must be a list of point ids")
                    continue
                points.append(
                    Point(
                        id=point_id,
                        kind=str(props["kind"]),
                        ring=ring,
                        road=str(props.get("road") or ""),
                        location=(lon, lat),
                        response_minutes=minutes,
                        neighbours=tuple(str(n) for n in neighbours),
                        name=str(props.get("name") or ""),
                    )
                )
            else:
                problems.append(f"{where}: feature_type must be 'ring' or 'point', got {kind!r}")
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            problems.append(f"{where}: malformed ({type(exc).__name__}: {exc})")
    topology = Topology.build(rings, points, synthetic=bool(document.get("synthetic")))
    problems.extend(check(topology))
    if problems:
        raise TopologyError(problems)
    return topology


def check(topology: Topology) -> list[str]:
    """What makes a topology unusable: missing rings, rings not nested, points outside every ring, dangling
    neighbours, rapid-response points without response minutes."""
    problems = [f"missing ring: {name}" for name in RING_ORDER if name not in topology.rings]
    for inner, outer in zip(RING_ORDER, RING_ORDER[1:], strict=False):
        if inner in topology.rings and outer in topology.rings:
            if not all(topology.rings[outer].contains(c) for c in topology.rings[inner].polygon):
                problems.append(f"ring {inner} is not inside ring {outer}")
    city = topology.rings.get("city")
    for point in topology.points.values():
        if not 1 <= len(point.id) <= 64 or not set(point.id) <= _IDENTIFIER:
            problems.append(
                f"point {point.id!r}: ids are 1..64 of A-Z a-z 0-9 . _ : - (reports name points by id)"
            )
        if (
            city is not None
            and not city.contains(point.location)
            and city.distance_to_boundary_m(point.location) > 2000
        ):
            problems.append(f"point {point.id}: outside every ring")
        for neighbour in point.neighbours:
            if neighbour not in topology.points:
                problems.append(f"point {point.id}: neighbour {neighbour} does not exist")
        if point.kind == "rapid_response_point" and point.response_minutes not in (1, 3, 5):
            problems.append(f"point {point.id}: a rapid-response point needs response_minutes 1, 3 or 5")
    return problems
