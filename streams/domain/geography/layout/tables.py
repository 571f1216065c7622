"""The layout's fixed data: the named roads, towns and points the generator places, and the point kinds'
id prefixes and labels. Positions are (level, bearing) on the ring web (see `geometry.Web`) or (lon, lat)."""

from __future__ import annotations

from dataclasses import dataclass

from streams.domain.geography.geo import LonLat

CENTRE: LonLat = (119.433, 32.394)  # Wenchang Pavilion, the old city
DESCRIPTION = (
    "Synthetic, deterministically generated control-ring layout for Yangzhou (Jiangsu, China): ring shapes, "
    "road names and point positions are plausible inventions made from the seed, not real police data. "
    "Point counts follow the 2022 report. 合成数据：扬州环形防控布局示意，非真实警务数据。"
)

RING_ROADS = {"core": "古城环路", "urban": "扬州绕城高速", "city": "市界联防线"}
RING_LABELS = {"core": "核心圈", "urban": "城区圈", "city": "市域圈"}
PREFIXES = {
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
KIND_LABELS = {
    "electronic_checkpoint": "电子卡口",
    "blockade_point": "应急封控点",
    "street_workstation": "警务工作站",
}

# Concentric roads inside the urban ring (level, name); the three ring roads are added at levels 1, 2, 3.
LOOPS = (
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
TOWNS: dict[str, tuple[LonLat, float, tuple[str, ...], tuple[str, str]]] = {
    "高邮": ((119.45, 32.78), 2.4, ("屏淮路", "海潮路", "文游路", "蝶园路"), ("高邮内环路", "高邮外环路")),
    "宝应": ((119.31, 33.23), 2.4, ("叶挺路", "白田路", "安宜路", "宝应大道"), ("宝应内环路", "宝应外环路")),
    "仪征": ((119.18, 32.27), 2.2, ("真州路", "大庆路", "解放路", "工农路"), ("仪征内环路", "仪征外环路")),
    "江都": ((119.57, 32.43), 1.8, ("龙川路", "仙城路", "舜天路", "长江路"), ("江都内环路", "江都外环路")),
}

# A waypoint is (level, bearing) or a town name (the road passes through the town's centre) or a place.
Waypoint = tuple[float, float] | str | LonLat


@dataclass(frozen=True)
class RadialSpec:
    name: str
    waypoints: tuple[Waypoint, ...]
    exit_kind: str | None = None  # the kind of the point where the road leaves the city ring
    exit_name: str = ""


MAIN_RADIALS = (
    RadialSpec(
        "S237",
        ((0.0, 0.0), (2.0, 1.0), "高邮", "宝应", (3.0, -4.0)),
        "intercity_checkpoint",
        "扬州—淮安城际警务协作卡口(S237宝应北)",
    ),
    RadialSpec(
        "S125", ((0.0, 35.0), (2.0, 36.0), (3.0, 40.0)), "blockade_point", "S125市界应急封控点(兴化方向)"
    ),
    RadialSpec(
        "G328",
        ((0.0, 70.0), (2.0, 71.5), "江都", (3.0, 78.0)),
        "intercity_checkpoint",
        "扬州—泰州城际警务协作卡口(G328江都东)",
    ),
    RadialSpec("文昌路", ((0.0, 90.0), (2.0, 90.0))),
    RadialSpec(
        "宁启铁路旁路",
        ((0.0, 115.0), (2.0, 114.0), (3.0, 112.0)),
        "blockade_point",
        "宁启铁路旁路市界应急封控点",
    ),
    RadialSpec(
        "扬子江路",
        ((0.0, 180.0), (2.0, 179.0), (3.0, 178.0)),
        "intercity_checkpoint",
        "扬州—镇江城际警务协作卡口(瓜洲渡口)",
    ),
    RadialSpec("江阳路", ((0.0, 220.0), (2.0, 221.0))),
    RadialSpec(
        "G328",
        ((0.0, 245.0), (2.0, 243.0), "仪征", (3.0, 262.0)),
        "intercity_checkpoint",
        "扬州—南京城际警务协作卡口(G328仪征西)",
    ),
    RadialSpec("文昌路", ((0.0, 270.0), (2.0, 270.0))),
    RadialSpec(
        "S332扬天公路",
        ((0.0, 295.0), (2.0, 294.0), (3.0, 292.0)),
        "smart_checkpoint_station",
        "苏皖省界扬天智能检查站(S332)",
    ),
    RadialSpec("维扬路", ((0.0, 320.0), (2.0, 322.0))),
)
# Expressways start at the ring expressway (the urban ring) and leave the municipality.
EXPRESSWAYS = (
    RadialSpec(
        "G2京沪高速",
        ((2.0, 20.0), (119.55, 32.80), (119.47, 33.20), (3.0, 2.5)),
        "expressway_station",
        "京沪高速宝应服务区警务站",
    ),
    RadialSpec("G40沪陕高速", ((2.0, 58.0), (3.0, 64.0)), "expressway_station", "沪陕高速江都服务区警务站"),
    RadialSpec(
        "S28启扬高速", ((2.0, 103.0), (3.0, 95.0)), "expressway_station", "启扬高速江都东服务区警务站"
    ),
    RadialSpec(
        "G4011扬溧高速", ((2.0, 140.0), (3.0, 135.0)), "expressway_station", "扬溧高速大桥服务区警务站"
    ),
    RadialSpec("G2京沪高速", ((2.0, 200.0), (3.0, 204.0)), "expressway_station", "京沪高速润扬大桥北警务站"),
    RadialSpec("G40沪陕高速", ((2.0, 278.0), (3.0, 282.0)), "expressway_station", "沪陕高速仪征服务区警务站"),
    RadialSpec(
        "S49新扬高速", ((2.0, 330.0), (3.0, 335.0)), "expressway_station", "新扬高速高邮西服务区警务站"
    ),
)
STREET_NAMES = (
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
WATER_POINTS = (
    (125.0, "water_duty_point", "长江", "长江三江营水上联勤执勤点"),
    (160.0, "water_duty_point", "长江", "长江施桥水上联勤执勤点"),
    (192.0, "waterway_checkpoint", "京杭大运河", "京杭大运河入江口(六圩)水上检查站"),
    (235.0, "water_duty_point", "长江", "长江仪征水上联勤执勤点"),
    (350.0, "water_duty_point", "京杭大运河", "京杭大运河宝应段水上联勤执勤点"),
)
# Street police workstations: (name, lon, lat); the urban ones are snapped to the nearest street point.
WORKSTATIONS = (
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
RAPID_RESPONSE = ({1: 12, 3: 6}, {1: 3, 3: 21, 5: 9}, {5: 18})
