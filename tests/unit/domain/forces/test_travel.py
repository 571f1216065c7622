"""streams/domain/forces/travel.py: units ranked by road travel time on hand-made road graphs."""

from __future__ import annotations

import random

import pytest

from streams.domain.forces.travel import FOOT_MPS, VEHICLE_MPS, Candidate, RoadGraph, rank
from streams.domain.geography import geo
from streams.domain.geography.topology import Point, Topology

# Longitude steps of about 94 m and latitude steps of about 111 m at 32.4° N.
DLON, DLAT = 0.001, 0.001
BASE = (119.40, 32.40)


def at(x: float, y: float) -> tuple[float, float]:
    return (BASE[0] + x * DLON, BASE[1] + y * DLAT)


def road(points: dict[str, tuple[float, float]], links: list[tuple[str, str]]) -> Topology:
    neighbours: dict[str, list[str]] = {name: [] for name in points}
    for a, b in links:
        neighbours[a].append(b)
        neighbours[b].append(a)
    return Topology.build(
        [],
        [
            Point(name, "electronic_checkpoint", None, "road", at(*xy), neighbours=tuple(neighbours[name]))
            for name, xy in points.items()
        ],
    )


# A river along y = 5 with one bridge at x = 40: the road from the south bank goes east to the bridge and
# back west on the north bank.
RIVER = road(
    {
        "S0": (0, 0), "S10": (10, 0), "S20": (20, 0), "S30": (30, 0), "S40": (40, 0),
        "N0": (0, 10), "N10": (10, 10), "N20": (20, 10), "N30": (30, 10), "N40": (40, 10),
    },
    [("S0", "S10"), ("S10", "S20"), ("S20", "S30"), ("S30", "S40"), ("S40", "N40"),
     ("N40", "N30"), ("N30", "N20"), ("N20", "N10"), ("N10", "N0")],
)  # fmt: skip


def test_the_unit_across_the_river_is_nearer_but_the_one_on_this_bank_is_sooner() -> None:
    graph = RoadGraph.of(RIVER)
    place = at(0, 10)  # the north bank's west end
    across = Candidate("P-ACROSS", at(0, 0), mounted=True)  # 1.1 km away over the water
    along = Candidate("P-ALONG", at(20, 10), mounted=True)  # 1.9 km away along the north bank
    assert geo.distance_m(across.position, place) < geo.distance_m(along.position, place)
    first, second = rank(graph, place, [across, along], count=2)
    assert (first.unit_id, second.unit_id) == ("P-ALONG", "P-ACROSS")
    # Round by the bridge: 4 + 1 + 4 road segments of 40 m steps ≈ 3.8 + 1.1 + 3.8 km.
    assert second.road_m == pytest.approx(2 * 40 * 94.0 + 10 * 111.2, rel=0.02)
    assert second.travel_s == pytest.approx(second.road_m / VEHICLE_MPS)
    assert first.straight_m == pytest.approx(first.road_m, rel=0.001)  # on the road already


def test_a_walker_near_by_can_beat_a_car_far_away_and_speeds_are_the_units() -> None:
    graph = RoadGraph.of(RIVER)
    place = at(20, 10)
    walker = Candidate("FOOT-1", at(21, 10), mounted=False)  # ~94 m
    car = Candidate("CAR-1", at(0, 10), mounted=True)  # ~1.9 km
    [first, second] = rank(graph, place, [car, walker], count=2)
    assert first.unit_id == "FOOT-1" and first.travel_s == pytest.approx(first.road_m / FOOT_MPS)
    assert second.unit_id == "CAR-1"


def test_the_road_time_is_never_shorter_than_the_straight_line() -> None:
    graph = RoadGraph.of(RIVER)
    rng = random.Random(7)
    for _ in range(200):
        unit = Candidate("U", at(rng.uniform(-5, 45), rng.uniform(-5, 15)), rng.random() < 0.5)
        place = at(rng.uniform(-5, 45), rng.uniform(-5, 15))
        [journey] = rank(graph, place, [unit], count=1)
        assert journey.road_m >= journey.straight_m - 0.1


def test_early_stop_keeps_the_best_and_ties_go_by_unit_id() -> None:
    graph = RoadGraph.of(RIVER)
    place = at(40, 0)
    many = [Candidate(f"U{n:03d}", at(n % 40, 10 if n % 2 else 0), mounted=True) for n in range(300)]
    brute = sorted(
        (graph.journey(c, graph.distances_to(place), place) for c in many),
        key=lambda j: (j.travel_s, j.unit_id),  # type: ignore[union-attr]
    )
    assert rank(graph, place, many, count=5) == brute[:5]
    twins = [Candidate("B", at(30, 0), True), Candidate("A", at(30, 0), True)]
    assert [j.unit_id for j in rank(graph, place, twins, count=2)] == ["A", "B"]


def test_no_road_no_candidates_and_no_count_give_nothing() -> None:
    island = road({"I0": (100, 100), "I1": (101, 100)}, [("I0", "I1")])
    split = RoadGraph.of(Topology.build([], [*RIVER.points.values(), *island.points.values()]))
    # A unit on an island with no road to the mainland is never proposed.
    assert rank(split, at(0, 0), [Candidate("ISL", at(100.2, 100), True)], count=3) == []
    assert rank(RoadGraph.of(RIVER), at(0, 0), [], count=3) == []
    assert rank(RoadGraph.of(RIVER), at(0, 0), [Candidate("U", at(1, 1), True)], count=0) == []
    assert RoadGraph.of(Topology.build([], [])).nearest(at(0, 0)) == []


def test_nearest_points_agree_with_a_full_scan() -> None:
    rng = random.Random(3)
    points = {f"P{n}": (rng.uniform(-300, 300), rng.uniform(-300, 300)) for n in range(400)}
    graph = RoadGraph.of(road(points, []))
    for _ in range(50):
        place = at(rng.uniform(-400, 400), rng.uniform(-400, 400))
        scan = sorted((geo.distance_m(place, at(*xy)), name) for name, xy in points.items())[:3]
        assert [(name, round(m, 3)) for name, m in graph.nearest(place)] == [
            (name, round(m, 3)) for m, name in scan
        ]
