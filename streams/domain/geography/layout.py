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
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from streams.domain.geography import geo
from streams.domain.geography.geo import LonLat
from streams.domain.geography.topology import RING_ORDER, SEED_COUNTS

__all__ = ["CENTRE", "DESCRIPTION", "generate_topology"]

CENTRE: LonLat = (119.433, 32.394)  # Wenchang Pavilion, the old city
DESCRIPTION = (
    "Synthetic, deterministically generated control-ring layout for Yangzhou (Jiangsu, China): ring shapes, "
    "road names and point positions are plausible inventions made from the seed, not real police data. "
    "Point counts follow the 2022 report. 合成数据：扬州环形防控布局示意，非真实警务数据。"
)

_KM_PER_DEG_LAT = math.radians(1.0) * geo.EARTH_RADIUS_M / 1000.0
_KM_PER_DEG_LON = _KM_PER_DEG_LAT * math.cos(math.radians(CENTRE[1]))
_CORNERS = 72  # per ring; every ring uses the same bearings
_MARGIN_KM = 0.45  # radial clearance of interior points from every ring (the ring band is ~300 m)
_DENSITY = 0.85  # scales every spacing; the exact count is then reached by adding or removing a few points

_RING_ROADS = {"core": "古城环路", "urban": "扬州绕城高速", "city": "市界联防线"}
_RING_LABELS = {"core": "核心圈", "urban": "城区圈", "city": "市域圈"}
_PREFIXES = {
    "electronic_checkpoint": ("EC", 4),
    "blockade_point": ("BP", 3),
    "rapid_response_point": ("RR", 2),
    "intercity_checkpoint": ("IC", 1),
    "expressway_station": ("ES", 1),
    "smart_checkpoint_station": ("SC", 1),
    "waterway_checkpoint": ("WC", 1),
    "water_duty_point": ("WD", 1),
    "street_workstation": ("WS", 2),
}
_KIND_LABELS = {
    "electronic_checkpoint": "电子卡口",
    "blockade_point": "应急封控点",
    "street_workstation": "警务工作站",
}

# Concentric roads inside the urban ring (level, name); the three ring roads are added at levels 1, 2, 3.
_LOOPS = (
    (0.3, "汶河路环线"),
    (0.55, "国庆路环线"),
    (0.8, "盐阜路环线"),
    (1.12, "文汇路环线"),
    (1.25, "运河路环线"),
    (1.38, "开发路环线"),
    (1.51, "沙湾路环线"),
    (1.64, "槐泗路环线"),
    (1.77, "念泗路环线"),
    (1.9, "润扬路环线"),
)

# County towns: (lon, lat), street-web radius in km, street names, inner and outer loop names.
_TOWNS: dict[str, tuple[LonLat, float, tuple[str, ...], tuple[str, str]]] = {
    "高邮": ((119.45, 32.78), 2.4, ("屏淮路", "海潮路", "文游路", "蝶园路"), ("高邮内环路", "高邮外环路")),
    "宝应": ((119.31, 33.23), 2.4, ("叶挺路", "白田路", "安宜路", "宝应大道"), ("宝应内环路", "宝应外环路")),
    "仪征": ((119.18, 32.27), 2.2, ("真州路", "大庆路", "解放路", "工农路"), ("仪征内环路", "仪征外环路")),
    "江都": ((119.57, 32.43), 1.8, ("龙川路", "仙城路", "舜天路", "长江路"), ("江都内环路", "江都外环路")),
}

# A waypoint is (level, bearing) or a town name (the road passes through the town's centre) or a place.
_Waypoint = tuple[float, float] | str | LonLat


@dataclass(frozen=True)
class _RadialSpec:
    name: str
    waypoints: tuple[_Waypoint, ...]
    exit_kind: str | None = None  # the kind of the point where the road leaves the city ring
    exit_name: str = ""


_MAIN_RADIALS = (
    _RadialSpec(
        "S237",
        ((0.0, 0.0), (2.0, 1.0), "高邮", "宝应", (3.0, -4.0)),
        "intercity_checkpoint",
        "扬州—淮安城际警务协作卡口(S237宝应北)",
    ),
    _RadialSpec(
        "S125", ((0.0, 35.0), (2.0, 36.0), (3.0, 40.0)), "blockade_point", "S125市界应急封控点(兴化方向)"
    ),
    _RadialSpec(
        "G328",
        ((0.0, 70.0), (2.0, 71.5), "江都", (3.0, 78.0)),
        "intercity_checkpoint",
        "扬州—泰州城际警务协作卡口(G328江都东)",
    ),
    _RadialSpec("文昌路", ((0.0, 90.0), (2.0, 90.0))),
    _RadialSpec(
        "宁启铁路旁路",
        ((0.0, 115.0), (2.0, 114.0), (3.0, 112.0)),
        "blockade_point",
        "宁启铁路旁路市界应急封控点",
    ),
    _RadialSpec(
        "扬子江路",
        ((0.0, 180.0), (2.0, 179.0), (3.0, 178.0)),
        "intercity_checkpoint",
        "扬州—镇江城际警务协作卡口(瓜洲渡口)",
    ),
    _RadialSpec("江阳路", ((0.0, 220.0), (2.0, 221.0))),
    _RadialSpec(
        "G328",
        ((0.0, 245.0), (2.0, 243.0), "仪征", (3.0, 262.0)),
        "intercity_checkpoint",
        "扬州—南京城际警务协作卡口(G328仪征西)",
    ),
    _RadialSpec("文昌路", ((0.0, 270.0), (2.0, 270.0))),
    _RadialSpec(
        "S332扬天公路",
        ((0.0, 295.0), (2.0, 294.0), (3.0, 292.0)),
        "smart_checkpoint_station",
        "苏皖省界扬天智能检查站(S332)",
    ),
    _RadialSpec("维扬路", ((0.0, 320.0), (2.0, 322.0))),
)
# Expressways start at the ring expressway (the urban ring) and leave the municipality.
_EXPRESSWAYS = (
    _RadialSpec(
        "G2京沪高速",
        ((2.0, 20.0), (119.55, 32.80), (119.47, 33.20), (3.0, 2.5)),
        "expressway_station",
        "京沪高速宝应服务区警务站",
    ),
    _RadialSpec("G40沪陕高速", ((2.0, 58.0), (3.0, 64.0)), "expressway_station", "沪陕高速江都服务区警务站"),
    _RadialSpec(
        "S28启扬高速", ((2.0, 103.0), (3.0, 95.0)), "expressway_station", "启扬高速江都东服务区警务站"
    ),
    _RadialSpec(
        "G4011扬溧高速", ((2.0, 140.0), (3.0, 135.0)), "expressway_station", "扬溧高速大桥服务区警务站"
    ),
    _RadialSpec("G2京沪高速", ((2.0, 200.0), (3.0, 204.0)), "expressway_station", "京沪高速润扬大桥北警务站"),
    _RadialSpec(
        "G40沪陕高速", ((2.0, 278.0), (3.0, 282.0)), "expressway_station", "沪陕高速仪征服务区警务站"
    ),
    _RadialSpec(
        "S49新扬高速", ((2.0, 330.0), (3.0, 335.0)), "expressway_station", "新扬高速高邮西服务区警务站"
    ),
)
_STREET_NAMES = (
    "史可法路",
    "淮海路",
    "汶河北路",
    "渡江路",
    "友谊路",
    "邗江路",
    "新城河路",
    "博物馆路",
    "百祥路",
    "大学路",
    "解放桥路",
    "东关路",
    "广陵路",
    "瘦西湖路",
    "平山堂路",
    "城北路",
    "曙光路",
    "华扬路",
    "秋雨路",
    "金湾路",
    "望月路",
    "七里河路",
)
# Points on the city ring that are not on a road: (bearing from the centre, kind, road, name).
_WATER_POINTS = (
    (125.0, "water_duty_point", "长江", "长江三江营水上联勤执勤点"),
    (160.0, "water_duty_point", "长江", "长江施桥水上联勤执勤点"),
    (192.0, "waterway_checkpoint", "京杭大运河", "京杭大运河入江口(六圩)水上检查站"),
    (235.0, "water_duty_point", "长江", "长江仪征水上联勤执勤点"),
    (350.0, "water_duty_point", "京杭大运河", "京杭大运河宝应段水上联勤执勤点"),
)
# Street police workstations: (name, lon, lat); the urban ones are snapped to the nearest street point.
_WORKSTATIONS = (
    ("文昌阁警务工作站", 119.431, 32.394),
    ("东关街警务工作站", 119.444, 32.398),
    ("瘦西湖警务工作站", 119.419, 32.412),
    ("京华城警务工作站", 119.388, 32.392),
    ("扬州火车站警务工作站", 119.362, 32.392),
    ("万达广场警务工作站", 119.399, 32.372),
    ("广陵新城警务工作站", 119.500, 32.380),
    ("明月湖警务工作站", 119.470, 32.420),
    ("汤汪警务工作站", 119.470, 32.365),
    ("扬子津警务工作站", 119.420, 32.330),
    ("双桥警务工作站", 119.445, 32.370),
    ("邗上警务工作站", 119.395, 32.420),
    ("蒋王警务工作站", 119.370, 32.350),
    ("湾头警务工作站", 119.490, 32.440),
    ("泰山警务工作站", 119.320, 33.240),  # Baoying
)
# Rapid-response points per zone (0 inside core, 1 inside urban, 2 outside urban): {minutes: count}.
_RAPID_RESPONSE = ({1: 12, 3: 6}, {1: 3, 3: 21, 5: 9}, {5: 18})
_COMPASS = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")


def generate_topology(seed: int = 2022) -> dict[str, object]:
    """A GeoJSON FeatureCollection that `topology.load` accepts, with exactly `SEED_COUNTS` points."""
    return _Builder(seed).build()


# --- geometry -------------------------------------------------------------------------------------------


def _to_lonlat(x_km: float, y_km: float) -> LonLat:
    """The place `x_km` east and `y_km` north of `CENTRE` (the layout's flat projection)."""
    return (CENTRE[0] + x_km / _KM_PER_DEG_LON, CENTRE[1] + y_km / _KM_PER_DEG_LAT)


def _to_xy(place: LonLat) -> tuple[float, float]:
    """Kilometres east and north of `CENTRE`."""
    return ((place[0] - CENTRE[0]) * _KM_PER_DEG_LON, (place[1] - CENTRE[1]) * _KM_PER_DEG_LAT)


def _bearing(x: float, y: float) -> float:
    return math.degrees(math.atan2(x, y)) % 360.0


def _unit(bearing: float) -> tuple[float, float]:
    rad = math.radians(bearing)
    return math.sin(rad), math.cos(rad)


def _compass(bearing: float) -> str:
    return _COMPASS[int(((bearing % 360.0) + 22.5) // 45.0) % 8]


@dataclass(frozen=True)
class _Web:
    """Three star-shaped rings sampled at the same bearings, and the level coordinate between them."""

    offset: float  # bearing of corner 0, degrees
    radii: tuple[tuple[float, ...], ...]  # per ring (core, urban, city): km from the centre at each corner

    def corner_bearing(self, index: int) -> float:
        return self.offset + index * 360.0 / _CORNERS

    def ring_radius(self, ring: int, bearing: float) -> float:
        """Distance from the centre to ring `ring`'s boundary along `bearing` (exact on the polygon)."""
        step = 360.0 / _CORNERS
        i = int(((bearing - self.offset) % 360.0) // step) % _CORNERS
        j = (i + 1) % _CORNERS
        r = self.radii[ring]
        ax, ay = _unit(self.corner_bearing(i))
        bx, by = _unit(self.corner_bearing(i + 1))
        px, py = r[i] * ax, r[i] * ay
        dx, dy = r[j] * bx - px, r[j] * by - py
        ux, uy = _unit(bearing)
        return (px * dy - py * dx) / (ux * dy - uy * dx)

    def bounds(self, bearing: float, level: float) -> tuple[int, float, float]:
        """The zone (0, 1, 2) a level falls in and the radii of its inner and outer edge along `bearing`."""
        zone = min(max(int(level), 0), 2)
        inner = 0.0 if zone == 0 else self.ring_radius(zone - 1, bearing)
        return zone, inner, self.ring_radius(zone, bearing)

    def xy(self, bearing: float, level: float) -> tuple[float, float]:
        zone, inner, outer = self.bounds(bearing, level)
        radius = inner + (level - zone) * (outer - inner)
        ux, uy = _unit(bearing)
        return radius * ux, radius * uy

    def level_of(self, x: float, y: float) -> float:
        bearing, radius = _bearing(x, y), math.hypot(x, y)
        inner = 0.0
        for zone in range(3):
            outer = self.ring_radius(zone, bearing)
            if radius < outer or zone == 2:
                return zone + (radius - inner) / (outer - inner)
            inner = outer
        raise AssertionError("unreachable")

    def clearance_km(self, x: float, y: float) -> float:
        """Radial distance from the place to the nearest ring (negative outside the city ring)."""
        bearing, level = _bearing(x, y), self.level_of(x, y)
        zone, inner, outer = self.bounds(bearing, level)
        radius = math.hypot(x, y)
        return outer - radius if zone == 0 else min(outer - radius, radius - inner)

    def polygon(self, ring: int) -> list[list[float]]:
        """The ring as a closed GeoJSON linear ring, counter-clockwise."""
        corners = []
        for i in range(_CORNERS):
            ux, uy = _unit(self.corner_bearing(i))
            lon, lat = _to_lonlat(self.radii[ring][i] * ux, self.radii[ring][i] * uy)
            corners.append([round(lon, 6), round(lat, 6)])
        corners.reverse()  # bearings run clockwise
        return [*corners, corners[0]]


def _harmonics(rng: random.Random, amplitude: float) -> list[tuple[int, float, float]]:
    return [(h, rng.uniform(-amplitude, amplitude) / h, rng.uniform(0.0, math.tau)) for h in range(2, 6)]


def _wave(terms: Sequence[tuple[int, float, float]], bearing: float) -> float:
    rad = math.radians(bearing)
    return sum(a * math.sin(h * rad + phase) for h, a, phase in terms)


def _bump(bearing: float, middle: float, half_width: float) -> float:
    off = abs((bearing - middle + 180.0) % 360.0 - 180.0)
    return math.cos(math.pi / 2 * off / half_width) ** 2 if off < half_width else 0.0


# The municipality's outline (lon, lat), clockwise from the north; star-shaped around the centre.
_CITY_OUTLINE: tuple[LonLat, ...] = (
    (119.42, 33.43),
    (119.58, 33.40),
    (119.68, 33.25),
    (119.72, 33.05),
    (119.75, 32.88),
    (119.80, 32.72),
    (119.90, 32.58),
    (119.92, 32.45),
    (119.88, 32.32),
    (119.78, 32.24),
    (119.62, 32.22),
    (119.45, 32.23),
    (119.30, 32.22),
    (119.15, 32.21),
    (119.03, 32.25),
    (118.98, 32.35),
    (119.03, 32.45),
    (119.12, 32.53),
    (119.20, 32.62),
    (119.18, 32.80),
    (119.15, 33.00),
    (119.12, 33.18),
    (119.15, 33.33),
    (119.25, 33.42),
)


def _outline_radius(bearing: float) -> float:
    ux, uy = _unit(bearing)
    points = [_to_xy(p) for p in _CITY_OUTLINE]
    for (px, py), (qx, qy) in zip(points, points[1:] + points[:1], strict=True):
        dx, dy = qx - px, qy - py
        denominator = ux * dy - uy * dx
        if denominator == 0:
            continue
        t = (px * dy - py * dx) / denominator
        s = (px * uy - py * ux) / denominator
        if t > 0 and -1e-9 <= s <= 1 + 1e-9:
            return t
    raise AssertionError(f"city outline has no edge at bearing {bearing}")


def _make_web(rng: random.Random) -> _Web:
    offset = rng.uniform(0.0, 360.0 / _CORNERS)
    core_wave, urban_wave, city_wave = _harmonics(rng, 0.09), _harmonics(rng, 0.05), _harmonics(rng, 0.03)
    core, urban, city = [], [], []
    for i in range(_CORNERS):
        bearing = offset + i * 360.0 / _CORNERS
        core.append(3.0 * (1 + _wave(core_wave, bearing) + rng.uniform(-0.012, 0.012)))
        # The urban districts reach the Yangtze in the south and stop short of Jiangdu in the east.
        base = 10.5 + 2.0 * _bump(bearing, 180.0, 50.0) - 1.2 * _bump(bearing, 80.0, 45.0)
        urban.append(base * (1 + _wave(urban_wave, bearing) + rng.uniform(-0.01, 0.01)))
        city.append(_outline_radius(bearing) * (1 + _wave(city_wave, bearing) + rng.uniform(-0.008, 0.008)))
    return _Web(offset, (tuple(core), tuple(urban), tuple(city)))


# --- the road network -----------------------------------------------------------------------------------


@dataclass
class _Node:
    x: float
    y: float
    zone: int  # 0 inside core, 1 inside urban, 2 outside urban: the innermost ring around it
    road: str
    stem: str  # where it is, for the name
    ring: str | None = None
    fixed: bool = False  # a crossing, a town centre or a named point: never removed
    kind: str = ""
    name: str = ""
    minutes: int | None = None
    roads: int = 0
    alive: bool = True


@dataclass
class _Road:
    name: str
    closed: bool
    members: list[tuple[float, int]] = field(default_factory=list)  # (position along the road, node)


@dataclass
class _Radial:
    spec: _RadialSpec
    stops: list[tuple[float, float]]  # (level, unwrapped bearing), ascending level
    towns: dict[float, str]
    wiggle: float
    road: int = -1

    @property
    def start(self) -> float:
        return self.stops[0][0]

    @property
    def end(self) -> float:
        return self.stops[-1][0]

    def bearing(self, level: float) -> float:
        stops = self.stops
        for (l0, b0), (l1, b1) in zip(stops, stops[1:], strict=False):
            if level <= l1:
                bearing = b0 + (b1 - b0) * (level - l0) / (l1 - l0)
                break
        else:
            bearing = stops[-1][1]
        if level < 2.0:  # a gentle bow inside the urban ring, none where the road must pass a town
            bearing += self.wiggle * math.sin(math.pi * (level - self.start) / (2.0 - self.start))
        return bearing % 360.0


def _spacing_km(zone: int, level: float) -> float:
    """Target distance between neighbouring points: dense in the old city, sparse on county roads."""
    if zone == 0:
        return 0.17 * _DENSITY
    if zone == 1:
        return (0.2 + 0.2 * (level - 1.0)) * _DENSITY
    return 1.6 * _DENSITY


_TOWN_SPACING_KM = 0.25


class _Builder:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        self.web = _make_web(self.rng)
        self.nodes: list[_Node] = []
        self.roads: list[_Road] = []
        self.index: dict[tuple[int, float], int] = {}  # (road, position) -> node, while splitting

    # nodes and roads

    def node(
        self,
        x: float,
        y: float,
        road: str,
        stem: str,
        *,
        ring: str | None = None,
        fixed: bool = False,
        kind: str = "",
        name: str = "",
    ) -> int:
        zone = min(int(self.web.level_of(x, y)), 2)
        self.nodes.append(_Node(x, y, zone, road, stem, ring=ring, fixed=fixed, kind=kind, name=name))
        return len(self.nodes) - 1

    def road(self, name: str, closed: bool) -> int:
        self.roads.append(_Road(name, closed))
        return len(self.roads) - 1

    def join(self, road: int, position: float, node: int) -> None:
        self.roads[road].members.append((position, node))
        self.nodes[node].roads += 1

    def clear(self, x: float, y: float) -> bool:
        return self.web.clearance_km(x, y) >= _MARGIN_KM

    # build

    def build(self) -> dict[str, object]:
        rng = self.rng
        counts = dict(SEED_COUNTS)
        core_ec = rng.randint(82, 104)
        urban_ec = rng.randint(205, 250)
        core_bp, urban_bp = 30, 50
        radials = self.radials()
        loops: list[tuple[float, str, str | None]] = [(level, name, None) for level, name in _LOOPS]
        loops += [(float(i + 1), _RING_ROADS[ring], ring) for i, ring in enumerate(RING_ORDER)]
        loops.sort()
        centre = self.node(0.0, 0.0, "文昌路", "文昌阁环岛", fixed=True)
        loop_roads: dict[float, int] = {}
        crossings: dict[float, list[tuple[float, int]]] = {}
        for level, name, _ in loops:
            loop_roads[level] = self.road(name, closed=True)
            crossings[level] = []
        for radial in radials:
            radial.road = self.road(radial.spec.name, closed=False)
            if radial.start == 0.0:
                self.join(radial.road, 0.0, centre)
            for level, name, ring in loops:
                if radial.start - 1e-9 <= level <= radial.end + 1e-9:
                    bearing = radial.bearing(level)
                    x, y = self.web.xy(bearing, level)
                    leaves = ring == "city"  # where the road leaves the municipality
                    index = self.node(
                        x,
                        y,
                        radial.spec.name,
                        f"{radial.spec.name}与{name}交叉口",
                        ring=ring,
                        fixed=True,
                        kind=(radial.spec.exit_kind or "blockade_point") if leaves else "",
                        name=radial.spec.exit_name if leaves else "",
                    )
                    self.join(radial.road, level, index)
                    crossings[level].append((bearing, index))
            for level, town in radial.towns.items():
                x, y = self.web.xy(radial.bearing(level), level)
                self.join(
                    radial.road, level, self.node(x, y, radial.spec.name, f"{town}城区中心", fixed=True)
                )
        for bearing, kind, road, name in _WATER_POINTS:
            x, y = self.web.xy(bearing, 3.0)
            crossings[3.0].append(
                (bearing, self.node(x, y, road, name, fixed=True, ring="city", kind=kind, name=name))
            )
        exit_blockades = sum(1 for _, i in crossings[3.0] if self.nodes[i].kind == "blockade_point")
        city_bp = counts["blockade_point"] - core_bp - urban_bp - exit_blockades
        totals = {1.0: core_ec + core_bp, 2.0: urban_ec + urban_bp, 3.0: len(crossings[3.0]) + city_bp}
        for level, name, _ in loops:
            self.fill_loop(loop_roads[level], level, name, crossings[level], totals.get(level))
        for radial in radials:
            self.fill_radial(radial)
        for radial in radials:
            for level, town in radial.towns.items():
                self.town(radial, level, town)
        self.assign_ring_kinds(crossings, {1.0: core_bp, 2.0: urban_bp})
        self.assign_interior(counts["electronic_checkpoint"] - core_ec - urban_ec)
        return self.document()

    def radials(self) -> list[_Radial]:
        rng = self.rng
        result = [self.radial(spec, rng.uniform(-1.5, 1.5)) for spec in _MAIN_RADIALS]
        result += [self.radial(spec, 0.0) for spec in _EXPRESSWAYS]
        # Urban streets fill the gaps between the main roads, from the innermost loop to the ring expressway.
        taken = sorted(
            [r.bearing(1.0) for r in result if r.start == 0.0]
            + [r.bearing(2.0) for r in result if r.start == 2.0]
        )
        names = iter(_STREET_NAMES)
        for here, there in zip(taken, taken[1:] + [taken[0] + 360.0], strict=True):
            slots = max(0, round((there - here) / 12.0) - 1)
            for k in range(1, slots + 1):
                bearing = here + (there - here) * k / (slots + 1) + rng.uniform(-1.0, 1.0)
                spec = _RadialSpec(
                    next(names), ((_LOOPS[0][0], bearing), (2.0, bearing + rng.uniform(-1.0, 1.0)))
                )
                result.append(self.radial(spec, rng.uniform(-1.5, 1.5)))
        return result

    def radial(self, spec: _RadialSpec, wiggle: float) -> _Radial:
        stops: list[tuple[float, float]] = []
        towns: dict[float, str] = {}
        for waypoint in spec.waypoints:
            if isinstance(waypoint, str):
                x, y = _to_xy(_TOWNS[waypoint][0])
            elif waypoint[0] > 100.0:  # a place (lon, lat), not a (level, bearing)
                x, y = _to_xy(waypoint)
            else:
                stops.append((waypoint[0], waypoint[1]))
                continue
            level = self.web.level_of(x, y)
            stops.append((level, _bearing(x, y)))
            if isinstance(waypoint, str):
                towns[level] = waypoint
        # Unwrap so that a road crossing north interpolates through 0°, not the long way round.
        unwrapped = [stops[0]]
        for level, bearing in stops[1:]:
            previous = unwrapped[-1][1]
            unwrapped.append((level, previous + (bearing - previous + 180.0) % 360.0 - 180.0))
        return _Radial(spec, unwrapped, towns, wiggle)

    def fill_loop(
        self, road: int, level: float, name: str, fixed: list[tuple[float, int]], total: int | None
    ) -> None:
        """Add the loop's crossings and its points in between: `total` in all, or by spacing."""
        ring = RING_ORDER[int(level) - 1] if level in (1.0, 2.0, 3.0) else None
        fixed.sort()
        for bearing, index in fixed:
            self.join(road, bearing, index)
        arcs = []
        for (b0, _), (b1, _) in zip(fixed, fixed[1:] + fixed[:1], strict=True):
            span = (b1 - b0) % 360.0 or 360.0
            steps = max(2, int(span / 2.0))
            points = [self.web.xy(b0 + span * k / steps, level) for k in range(steps + 1)]
            length = sum(math.dist(p, q) for p, q in zip(points, points[1:], strict=False))
            arcs.append((b0, span, length))
        if total is None:
            zone = min(int(level), 2)
            counts = [max(0, round(length / _spacing_km(zone, level)) - 1) for _, _, length in arcs]
        else:
            counts = _apportion(total - len(fixed), [length for _, _, length in arcs])
        for (b0, span, _), count in zip(arcs, counts, strict=True):
            for k in range(1, count + 1):
                bearing = (b0 + span * k / (count + 1)) % 360.0
                x, y = self.web.xy(bearing, level)
                index = self.node(x, y, name, f"{name}{_compass(bearing)}段", ring=ring)
                self.join(road, bearing, index)

    def fill_radial(self, radial: _Radial) -> None:
        stops = sorted(position for position, _ in self.roads[radial.road].members)
        for l0, l1 in zip(stops, stops[1:], strict=False):
            samples = [
                self.web.xy(radial.bearing(l0 + (l1 - l0) * k / 16), l0 + (l1 - l0) * k / 16)
                for k in range(17)
            ]
            length = sum(math.dist(p, q) for p, q in zip(samples, samples[1:], strict=False))
            middle = (l0 + l1) / 2
            count = max(0, round(length / _spacing_km(min(int(middle), 2), middle)) - 1)
            for k in range(1, count + 1):
                level = l0 + (l1 - l0) * k / (count + 1)
                x, y = self.web.xy(radial.bearing(level), level)
                if self.clear(x, y):
                    stem = f"{radial.spec.name}K{math.hypot(x, y):.1f}处"
                    self.join(radial.road, level, self.node(x, y, radial.spec.name, stem))

    def town(self, radial: _Radial, level: float, town: str) -> None:
        """A county town's own street web: spokes and two loops, spliced into the road through it."""
        rng = self.rng
        (lon, lat), reach, street_names, loop_names = _TOWNS[town]
        tx, ty = _to_xy((lon, lat))
        road = self.roads[radial.road]
        centre = next(i for position, i in road.members if position == level)
        others = sorted(p for p, i in road.members if p != level and self.nodes[i].fixed)
        before = max((p for p in others if p < level), default=radial.start)
        after = min((p for p in others if p > level), default=radial.end)
        # Where the national road enters and leaves the town's reach.
        ends = [
            self.reach(radial, (tx, ty), reach, level, before),
            self.reach(radial, (tx, ty), reach, level, after),
        ]
        for node in road.members:
            n = self.nodes[node[1]]
            if not n.fixed and math.hypot(n.x - tx, n.y - ty) < reach + 0.3:
                n.alive = False
        road.members = [m for m in road.members if self.nodes[m[1]].alive]
        spokes: list[tuple[float, str, int | None, float]] = []  # bearing, name, road to splice, far level
        for far in ends:
            fx, fy = self.web.xy(radial.bearing(far), far)
            spokes.append((_bearing(fx - tx, fy - ty), radial.spec.name, radial.road, far))
        start = rng.uniform(0.0, 30.0)
        candidates = [start + 30.0 * k for k in range(12)]
        rng.shuffle(candidates)
        for bearing in candidates:
            if len(spokes) == 6:
                break
            if all(abs((bearing - b + 180.0) % 360.0 - 180.0) >= 45.0 for b, *_ in spokes):
                spokes.append((bearing % 360.0, street_names[len(spokes) - 2], None, 0.0))
        loops = [
            (fraction * reach, _harmonics(rng, 0.05), name)
            for fraction, name in zip((0.45, 0.9), loop_names, strict=True)
        ]
        loop_roads = [self.road(name, closed=True) for _, _, name in loops]
        loop_fixed: list[list[tuple[float, int]]] = [[] for _ in loops]
        for bearing, name, splice, far in spokes:
            ux, uy = _unit(bearing)
            if splice is None:
                spoke_road = self.road(name, closed=False)
                self.join(spoke_road, 0.0, centre)
            marks = [(radius * (1 + _wave(wave, bearing)), k) for k, (radius, wave, _) in enumerate(loops)]
            marks.append((reach, -1))
            previous = 0.0
            for radius, k in marks:
                count = max(0, round((radius - previous) / _TOWN_SPACING_KM) - 1)
                rhos = [previous + (radius - previous) * j / (count + 1) for j in range(1, count + 1)]
                for rho in [*rhos, radius]:
                    x, y = tx + rho * ux, ty + rho * uy
                    if not self.clear(x, y):
                        continue
                    is_mark = rho == radius and k >= 0
                    stem = f"{name}与{loops[k][2]}交叉口" if is_mark else f"{town}{name}{_compass(bearing)}段"
                    index = self.node(x, y, name, stem, fixed=is_mark)
                    if splice is None:
                        self.join(spoke_road, rho, index)
                    else:
                        self.join(splice, level + (far - level) * rho / reach, index)
                    if is_mark:
                        loop_fixed[k].append((bearing, index))
                previous = radius
        for (radius, wave, name), loop_road, fixed in zip(loops, loop_roads, loop_fixed, strict=True):
            fixed.sort()
            for bearing, index in fixed:
                self.join(loop_road, bearing, index)
            for (b0, _), (b1, _) in zip(fixed, fixed[1:] + fixed[:1], strict=True):
                span = (b1 - b0) % 360.0 or 360.0
                count = max(0, round(math.radians(span) * radius / _TOWN_SPACING_KM) - 1)
                for k in range(1, count + 1):
                    bearing = (b0 + span * k / (count + 1)) % 360.0
                    ux, uy = _unit(bearing)
                    rho = radius * (1 + _wave(wave, bearing))
                    x, y = tx + rho * ux, ty + rho * uy
                    if self.clear(x, y):
                        self.join(loop_road, bearing, self.node(x, y, name, f"{name}{_compass(bearing)}段"))

    def reach(
        self, radial: _Radial, town: tuple[float, float], reach: float, level: float, limit: float
    ) -> float:
        """The level on `radial`, between the town's (`level`) and `limit`, `reach` km from the town."""
        near, far = level, limit
        for _ in range(40):
            middle = (near + far) / 2
            x, y = self.web.xy(radial.bearing(middle), middle)
            if math.hypot(x - town[0], y - town[1]) < reach:
                near = middle
            else:
                far = middle
        return (near + far) / 2

    # kinds

    def assign_ring_kinds(
        self, crossings: dict[float, list[tuple[float, int]]], blockades: dict[float, int]
    ) -> None:
        for level, count in blockades.items():
            ring = RING_ORDER[int(level) - 1]
            on_ring = [i for i, n in enumerate(self.nodes) if n.ring == ring]
            at_roads = [i for _, i in crossings[level]]
            self.rng.shuffle(at_roads)
            chosen = at_roads[:count]
            rest = sorted(set(on_ring) - set(chosen))
            chosen += self.rng.sample(rest, count - len(chosen))
            for i in on_ring:
                self.nodes[i].kind = "blockade_point" if i in chosen else "electronic_checkpoint"
        for n in self.nodes:
            if n.ring == "city" and not n.kind:
                n.kind = "blockade_point"

    def assign_interior(self, checkpoints: int) -> None:
        rng = self.rng
        pool = [i for i, n in enumerate(self.nodes) if n.alive and n.ring is None]
        for name, lon, lat in _WORKSTATIONS:
            x, y = _to_xy((lon + rng.uniform(-0.002, 0.002), lat + rng.uniform(-0.002, 0.002)))
            urban = math.hypot(x, y) < 30.0
            candidates = [i for i in pool if not self.nodes[i].kind and (self.nodes[i].zone < 2) == urban]
            best = min(candidates, key=lambda i: (math.hypot(self.nodes[i].x - x, self.nodes[i].y - y), i))
            self.nodes[best].kind, self.nodes[best].name = "street_workstation", name
        for zone, quota in enumerate(_RAPID_RESPONSE):
            minutes = [m for m, count in sorted(quota.items()) for _ in range(count)]
            candidates = [i for i in pool if self.nodes[i].zone == zone and not self.nodes[i].kind]
            chosen = self.spread(candidates, len(minutes))
            chosen.sort(key=lambda i: (math.hypot(self.nodes[i].x, self.nodes[i].y), i))
            for i, m in zip(chosen, minutes, strict=True):
                n = self.nodes[i]
                n.kind, n.minutes, n.ring = "rapid_response_point", m, RING_ORDER[zone]
        free = [i for i in pool if not self.nodes[i].kind]
        surplus = len(free) - checkpoints
        if surplus > 0:
            removable = [i for i in free if not self.nodes[i].fixed and self.nodes[i].roads == 1]
            for i in rng.sample(removable, surplus):
                self.nodes[i].alive = False
        elif surplus < 0:
            self.split(-surplus)
        for n in self.nodes:
            if n.alive and not n.kind:
                n.kind = "electronic_checkpoint"

    def spread(self, candidates: list[int], count: int) -> list[int]:
        """`count` of the candidates, each as far as possible from those already chosen (so they cover the
        zone evenly), starting from a random one."""
        if len(candidates) < count:
            raise AssertionError(f"only {len(candidates)} places for {count} points")
        chosen = [self.rng.choice(candidates)]
        gap = {i: math.inf for i in candidates}
        while len(chosen) < count:
            last = self.nodes[chosen[-1]]
            for i in gap:
                gap[i] = min(gap[i], math.hypot(self.nodes[i].x - last.x, self.nodes[i].y - last.y))
            chosen.append(max(gap, key=lambda i: (gap[i], -i)))
        return chosen

    def split(self, wanted: int) -> None:
        """Add `wanted` interior points, each halving the longest stretch (relative to its target spacing)."""
        heap: list[tuple[float, int, int, float, float]] = []
        counter = iter(range(1 << 62))

        def push(road: int, p0: float, p1: float) -> None:
            a, b = self.nodes[self.member(road, p0)], self.nodes[self.member(road, p1)]
            if a.ring is None and b.ring is None and a.alive and b.alive:
                gap = math.hypot(a.x - b.x, a.y - b.y) / _spacing_km(a.zone, float(a.zone) + 0.5)
                heapq.heappush(heap, (-gap, next(counter), road, p0, p1))

        self.index.clear()
        for r, road in enumerate(self.roads):
            if self.roads[r].name in _RING_ROADS.values():
                continue
            members = sorted((p, i) for p, i in road.members if self.nodes[i].alive)
            for p, i in members:
                self.index[(r, p)] = i
            pairs = list(zip(members, members[1:], strict=False))
            if road.closed and len(members) > 2:
                pairs.append((members[-1], (members[0][0] + 360.0, members[0][1])))
                self.index[(r, members[0][0] + 360.0)] = members[0][1]
            for (p0, _), (p1, _) in pairs:
                push(r, p0, p1)
        for _ in range(wanted):
            _, _, r, p0, p1 = heapq.heappop(heap)
            a, b = self.nodes[self.member(r, p0)], self.nodes[self.member(r, p1)]
            middle = (p0 + p1) / 2
            x, y = (a.x + b.x) / 2, (a.y + b.y) / 2
            index = self.node(x, y, self.roads[r].name, f"{self.roads[r].name}{_compass(_bearing(x, y))}段")
            self.join(r, middle % 360.0 if self.roads[r].closed else middle, index)
            self.index[(r, middle)] = index
            push(r, p0, middle)
            push(r, middle, p1)

    def member(self, road: int, position: float) -> int:
        return self.index[(road, position)]

    # output

    def document(self) -> dict[str, object]:
        alive = [i for i, n in enumerate(self.nodes) if n.alive]
        neighbours: dict[int, set[int]] = {i: set() for i in alive}
        for road in self.roads:
            members = [i for _, i in sorted(road.members) if self.nodes[i].alive]
            pairs = list(zip(members, members[1:], strict=False))
            if road.closed and len(members) > 2:
                pairs.append((members[-1], members[0]))
            for a, b in pairs:
                if a != b:
                    neighbours[a].add(b)
                    neighbours[b].add(a)
        rank = {ring: k for k, ring in enumerate(RING_ORDER)}

        def order(i: int) -> tuple[int, int, float, float, int]:
            n = self.nodes[i]
            on_ring = n.ring is not None and n.kind != "rapid_response_point"
            distance = 0.0 if on_ring else round(math.hypot(n.x, n.y), 3)
            return (rank.get(n.ring or "", 3), 0 if on_ring else 1, distance, round(_bearing(n.x, n.y), 4), i)

        ids: dict[int, str] = {}
        for kind, (prefix, width) in _PREFIXES.items():
            members = sorted((i for i in alive if self.nodes[i].kind == kind), key=order)
            if len(members) != SEED_COUNTS[kind]:
                raise AssertionError(f"generated {len(members)} {kind}, expected {SEED_COUNTS[kind]}")
            for k, i in enumerate(members, start=1):
                ids[i] = f"{prefix}-{k:0{width}d}"
        names = self.names(sorted(alive, key=lambda i: ids[i]))
        features: list[object] = []
        for k, ring in enumerate(RING_ORDER):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [self.web.polygon(k)]},
                    "properties": {
                        "feature_type": "ring",
                        "name": ring,
                        "label": _RING_LABELS[ring],
                        "road": _RING_ROADS[ring],
                    },
                }
            )
        for kind in _PREFIXES:
            for i in sorted((i for i in alive if self.nodes[i].kind == kind), key=lambda i: ids[i]):
                n = self.nodes[i]
                lon, lat = _to_lonlat(n.x, n.y)
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
            "seed": self.seed,
            "centre": list(CENTRE),
            "features": features,
        }

    def names(self, order: list[int]) -> dict[int, str]:
        """Readable names; points that would share one are numbered."""
        base: dict[int, str] = {}
        for i in order:
            n = self.nodes[i]
            if n.name:
                base[i] = n.name
            elif n.kind == "rapid_response_point":
                base[i] = f"{n.stem}{n.minutes}分钟快反点"
            else:
                base[i] = f"{n.stem}{_KIND_LABELS[n.kind]}"
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


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder)."""
    if total < 0:
        raise AssertionError("more fixed points on a ring than it should hold")
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda k: (counts[k] - shares[k], k))
    for k in by_remainder[: total - sum(counts)]:
        counts[k] += 1
    return counts
