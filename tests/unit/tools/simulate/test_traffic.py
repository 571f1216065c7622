"""Unit tests for streams.tools.simulate.traffic: the city simulator's physics, rate control, determinism,
plates,
noise, and that what it writes is what citygate's own decoders and the schemas accept."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from functools import cache

import orjson
import pytest

from streams import codecs
from streams.codecs import parse_entry, parse_hit, parse_report
from streams.domain.exceptions import InvalidInput
from streams.domain.geography import geo
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import Topology, load
from streams.domain.matching.equivalence import are_equivalent
from streams.domain.matching.hits import HitLimits
from streams.domain.matching.plates import PlateKind, is_valid_plate, normalise_plate, parse_plate
from streams.tools.simulate import records
from streams.tools.simulate.network import RoadNetwork
from streams.tools.simulate.records import Emission, TrafficConfig, watchlist_entries
from streams.tools.simulate.traffic import (
    MAX_JUNCTION_DELAY_S,
    MAX_SPEED_KMH,
    MIN_SPEED_KMH,
    TrafficSimulation,
)
from tests.unit.test_contracts import validator

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 30, 7, 30, tzinfo=CST)  # across the morning peak
RATE = 0.02  # ≈ 280,000 hits a day: a morning hour is ≈ 25,000 hits
SEED = 7
ANY_TIME = HitLimits(max_age=timedelta(days=365 * 100), max_skew=timedelta(days=365 * 100))


@cache
def topology() -> Topology:
    return load(generate_topology(2022))


@cache
def network() -> RoadNetwork:
    return RoadNetwork.build(topology(), SEED)


@cache
def hour() -> tuple[Emission, ...]:
    """One simulated hour at RATE from START, shared by the tests that only read it."""
    simulation = TrafficSimulation(network(), START, seed=SEED, config=TrafficConfig(rate=RATE))
    return tuple(simulation.advance(START + timedelta(hours=1)))


def hits() -> list[Emission]:
    return [e for e in hour() if e.kind == "hit"]


def truth(emission: Emission) -> records.HitTruth:
    assert emission.truth is not None
    return emission.truth


# --- physics ------------------------------------------------------------------------------------------


def sightings_by_vehicle() -> dict[str, list[Emission]]:
    by_vehicle: dict[str, list[Emission]] = defaultdict(list)
    for emission in hits():
        if not truth(emission).duplicate:
            by_vehicle[truth(emission).vehicle_id].append(emission)
    return by_vehicle


def test_consecutive_sightings_are_joined_by_road_neighbours_and_no_camera_is_skipped() -> None:
    points = topology().points
    checked = 0
    for sightings in sightings_by_vehicle().values():
        for before, after in zip(sightings, sightings[1:], strict=False):
            chain = [truth(before).checkpoint_id, *truth(after).via, truth(after).checkpoint_id]
            for a, b in zip(chain, chain[1:], strict=False):
                assert b in points[a].neighbours, (truth(after), chain)
            # A car is read at every camera it passes: nothing between two sightings is a checkpoint.
            assert all(points[p].kind != "electronic_checkpoint" for p in truth(after).via), chain
            checked += 1
    assert checked > 10_000


def test_time_between_sightings_fits_the_distance_at_plausible_speeds() -> None:
    points = topology().points
    fastest = MAX_SPEED_KMH / 3.6
    slowest = MIN_SPEED_KMH / 3.6
    same_trip = 0
    for sightings in sightings_by_vehicle().values():
        for before, after in zip(sightings, sightings[1:], strict=False):
            chain = [truth(before).checkpoint_id, *truth(after).via, truth(after).checkpoint_id]
            metres = sum(
                geo.distance_m(points[a].location, points[b].location)
                for a, b in zip(chain, chain[1:], strict=False)
            )
            gap_s = (after.at_ms - before.at_ms) / 1000
            assert gap_s >= metres / fastest - 0.001, (chain, metres, gap_s)
            if truth(before).trip == truth(after).trip:
                # Not absurdly slow: the slowest speed plus a red light at every point in between.
                longest = metres / slowest + MAX_JUNCTION_DELAY_S * (len(chain) - 1) + 0.001
                assert gap_s <= longest, (chain, metres, gap_s)
                same_trip += 1
    assert same_trip > 10_000


def test_a_vehicles_next_trip_starts_where_the_last_one_ended() -> None:
    """Across trips the chain of neighbours holds too (checked above); here: such pairs exist at all."""
    simulation = TrafficSimulation(network(), START, seed=SEED, config=TrafficConfig(rate=0.005))
    day = [e for e in simulation.advance(START + timedelta(hours=14)) if e.kind == "hit"]
    trips: dict[str, set[int]] = defaultdict(set)
    for emission in day:
        trips[truth(emission).vehicle_id].add(truth(emission).trip)
    assert sum(len(t) > 1 for t in trips.values()) > 100
    points = topology().points
    last: dict[str, Emission] = {}
    for emission in day:
        t = truth(emission)
        if t.duplicate:
            continue
        before = last.get(t.vehicle_id)
        if before is not None and truth(before).trip != t.trip:
            chain = [truth(before).checkpoint_id, *t.via, t.checkpoint_id]
            assert all(b in points[a].neighbours for a, b in zip(chain, chain[1:], strict=False)), chain
        last[t.vehicle_id] = emission


def test_direction_is_relative_to_the_city_centre() -> None:
    directions = Counter(e.message["direction"] for e in hits())
    assert directions["inbound"] > 0.3 * len(hits())
    assert directions["outbound"] > 0.2 * len(hits())


# --- determinism ----------------------------------------------------------------------------------------


def encoded(emissions: list[Emission]) -> list[bytes]:
    return [orjson.dumps([e.kind, e.key, e.message]) for e in emissions]


def test_same_seed_and_start_give_the_same_messages_however_time_is_cut() -> None:
    config = TrafficConfig(rate=RATE)
    one = TrafficSimulation(network(), START, seed=SEED, config=config)
    whole = one.advance(START + timedelta(minutes=20))
    other = TrafficSimulation(RoadNetwork.build(topology(), SEED), START, seed=SEED, config=config)
    pieces: list[Emission] = []
    for seconds in range(7, 20 * 60 + 7, 7):
        pieces.extend(other.advance(START + timedelta(seconds=min(seconds, 20 * 60))))
    assert len(whole) > 1000
    assert encoded(whole) == encoded(pieces)
    assert [e.truth for e in whole] == [e.truth for e in pieces]


def test_another_seed_gives_other_traffic() -> None:
    config = TrafficConfig(rate=RATE)
    first = TrafficSimulation(network(), START, seed=SEED, config=config).advance(
        START + timedelta(minutes=5)
    )
    second = TrafficSimulation(network(), START, seed=SEED + 1, config=config).advance(
        START + timedelta(minutes=5)
    )
    plates = {truth(e).plate for e in first if e.kind == "hit"}
    other_plates = {truth(e).plate for e in second if e.kind == "hit"}
    assert encoded(first) != encoded(second)
    assert len(plates & other_plates) < 0.1 * len(plates)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        TrafficSimulation(network(), datetime(2026, 11, 30, 8, 0), seed=SEED)  # noqa: DTZ001


# --- rate control -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [START, START.replace(hour=16)], ids=["morning", "evening"])
def test_an_hours_hits_follow_the_target(start: datetime) -> None:
    simulation = TrafficSimulation(network(), start, seed=SEED, config=TrafficConfig(rate=RATE))
    emitted = hour() if start == START else tuple(simulation.advance(start + timedelta(hours=1)))
    counted = [e for e in emitted if e.kind == "hit"]
    assert len(counted) == pytest.approx(
        simulation.expected_hits(start, start + timedelta(hours=1)), rel=0.05
    )
    # and from the first minutes on (the warm-up put cars on the road)
    first = sum(1 for e in counted if e.at_ms < simulation.start_ms + 1_200_000)
    assert first == pytest.approx(simulation.expected_hits(start, start + timedelta(minutes=20)), rel=0.1)


def test_a_day_has_a_morning_and_an_evening_peak_of_8_to_12_percent_and_the_default_city_total() -> None:
    midnight = datetime(2026, 12, 1, tzinfo=CST)
    rate = 0.005
    simulation = TrafficSimulation(network(), midnight, seed=SEED, config=TrafficConfig(rate=rate))
    per_hour = Counter(
        (e.at_ms - simulation.start_ms) // 3_600_000
        for e in simulation.advance(midnight + timedelta(days=1))
        if e.kind == "hit"
    )
    total = sum(per_hour.values())
    assert total == pytest.approx(records.CITY_HITS_PER_DAY * rate, rel=0.03)
    shares = [per_hour[h] / total for h in range(24)]
    peak = max(range(24), key=lambda h: shares[h])
    assert 0.08 <= shares[peak] <= 0.12
    assert peak in (7, 8, 9)
    assert max(shares[16:20]) >= 0.075  # the evening peak
    assert shares[3] < 0.01  # the night is quiet
    for h in range(24):
        target = simulation.expected_hits(midnight + timedelta(hours=h), midnight + timedelta(hours=h + 1))
        assert per_hour[h] == pytest.approx(target, rel=0.15 if target > 2000 else 0.4), h


def test_rate_scales_the_traffic() -> None:
    def count(rate: float) -> int:
        simulation = TrafficSimulation(network(), START, seed=SEED, config=TrafficConfig(rate=rate))
        return sum(e.kind == "hit" for e in simulation.advance(START + timedelta(minutes=10)))

    assert count(0.04) == pytest.approx(2 * count(0.02), rel=0.08)


# --- plates ---------------------------------------------------------------------------------------------


def vehicles() -> dict[str, tuple[str, str, str]]:
    """vehicle id → (true plate, plate colour, vehicle type), checking each vehicle keeps them."""
    seen: dict[str, tuple[str, str, str]] = {}
    for emission in hits():
        t = truth(emission)
        record = (t.plate, str(emission.message["plate_colour"]), str(emission.message["vehicle_type"]))
        assert seen.setdefault(t.vehicle_id, record) == record
    return seen


def test_true_plates_are_valid_and_each_vehicle_keeps_one_plate() -> None:
    by_vehicle = vehicles()
    plates = [plate for plate, _, _ in by_vehicle.values()]
    assert len(set(plates)) == len(plates)  # and no two vehicles share one
    assert all(is_valid_plate(plate) for plate in plates)


def test_plates_are_mostly_yangzhou_with_neighbours_and_a_new_energy_share() -> None:
    plates = [parse_plate(plate) for plate, _, _ in vehicles().values()]
    prefixes = Counter(p.normalised[:2] for p in plates)
    provinces = Counter(p.province for p in plates)
    assert 0.65 <= prefixes["苏K"] / len(plates) <= 0.85
    assert 0.05 <= (provinces["苏"] - prefixes["苏K"]) / len(plates) <= 0.2
    assert {"皖", "沪", "浙", "鲁"} <= set(provinces)
    assert 0.03 <= (len(plates) - provinces["苏"]) / len(plates) <= 0.15
    new_energy = sum(p.kind in (PlateKind.NEW_ENERGY_SMALL, PlateKind.NEW_ENERGY_LARGE) for p in plates)
    assert 0.10 <= new_energy / len(plates) <= 0.15
    assert all(len(p.normalised) == 8 for p in plates if p.kind == PlateKind.NEW_ENERGY_SMALL)


def test_plate_colour_and_vehicle_type_agree_with_the_plate() -> None:
    for plate, colour, vehicle_type in vehicles().values():
        kind = parse_plate(plate).kind
        expected = {
            PlateKind.NEW_ENERGY_SMALL: ("green", {"car", "suv", "taxi"}),
            PlateKind.NEW_ENERGY_LARGE: ("yellow_green", {"bus", "truck"}),
            PlateKind.POLICE: ("white", {"suv"}),
            PlateKind.COACH: ("yellow", {"car"}),
        }.get(kind)
        if expected is not None:
            assert (colour, vehicle_type in expected[1]) == (expected[0], True), plate
        else:
            assert kind == PlateKind.ORDINARY
            large = vehicle_type in ("bus", "truck")
            assert colour == ("yellow" if large else "blue"), (plate, colour, vehicle_type)


# --- OCR noise and duplicate reads -------------------------------------------------------------------------


def test_noise_shares_are_the_configured_ones() -> None:
    config = TrafficConfig()
    noise = Counter(truth(e).noise for e in hits())
    total = len(hits())
    assert noise["dropped"] / total == pytest.approx(config.dropped_share, rel=0.35)
    assert noise["confusable"] / total == pytest.approx(config.confusable_share, rel=0.25)
    assert noise["low_confidence"] / total == pytest.approx(config.low_confidence_share, rel=0.2)


def test_every_read_is_the_true_plate_except_the_deliberately_noisy_ones() -> None:
    for emission in hits():
        t = truth(emission)
        read = normalise_plate(str(emission.message["plate_text"]))
        candidates = [normalise_plate(str(c["text"])) for c in emission.message["candidates"]]  # type: ignore[attr-defined]
        assert t.plate in candidates  # the true plate is always among the top-N
        confidence = float(emission.message["plate_confidence"])  # type: ignore[arg-type]
        if t.noise in ("none", "low_confidence"):
            assert read == t.plate
            assert (confidence <= 0.6) == (t.noise == "low_confidence")
        elif t.noise == "confusable":
            assert read != t.plate and is_valid_plate(read)
            assert are_equivalent(read, t.plate, 1)
        else:
            assert t.noise == "dropped"
            assert len(read) == len(t.plate) - 1


def test_dropped_characters_are_refused_by_the_worker_as_plate_format() -> None:
    """A read with a character missing is no plate: refused, unless confusable characters make it one (then
    it is matched only as OCR-equivalent, never as read)."""
    dropped = [e for e in hits() if truth(e).noise == "dropped"]
    refused = 0
    for emission in dropped:
        try:
            hit = parse_hit(emission.message, now=START, limits=ANY_TIME)
        except InvalidInput as exc:
            assert exc.code == "plate_format"
            refused += 1
        else:
            assert hit.read_as is not None
    assert len(dropped) > 50 and refused >= 0.9 * len(dropped)


def test_second_lane_reads_come_at_the_configured_share_within_a_few_hundred_ms() -> None:
    passes: dict[tuple[str, int, str], list[Emission]] = defaultdict(list)
    for emission in hits():
        t = truth(emission)
        passes[(t.vehicle_id, t.trip, t.checkpoint_id)].append(emission)
    doubled = [reads for reads in passes.values() if any(truth(e).duplicate for e in reads)]
    assert len(doubled) / len(passes) == pytest.approx(TrafficConfig().duplicate_share, rel=0.2)
    for reads in doubled:
        first, second = sorted(reads, key=lambda e: truth(e).duplicate)[-2:]
        assert not truth(first).duplicate and truth(second).duplicate
        assert 60 <= second.at_ms - first.at_ms <= 400
        # The next lane the same way (inbound lanes are numbered first), or with one lane each way a second
        # frame of the same lane: never a lane of the other direction.
        lane, other = int(first.message["lane"]), int(second.message["lane"])  # type: ignore[call-overload]
        assert abs(lane - other) <= 1 and second.message["direction"] == first.message["direction"]
        lanes = network().cameras[network().ids.index(first.key)].lanes_each_way
        outbound = first.message["direction"] == "outbound"
        assert (lane - 1) // lanes == (other - 1) // lanes == outbound  # 0: inbound lanes, 1: outbound lanes
        assert lane != other or lanes == 1
        assert first.message["hit_id"] != second.message["hit_id"]


def test_hit_ids_are_unique() -> None:
    ids = [e.message["hit_id"] for e in hits()]
    assert len(set(ids)) == len(ids)


# --- contracts: the worker's decoders and the JSON schemas -----------------------------------------------


def test_every_hit_but_the_dropped_reads_decodes_with_the_workers_decoder() -> None:
    checkpoints = {p.id for p in topology().points.values() if p.kind == "electronic_checkpoint"}
    for emission in hits():
        if truth(emission).noise == "dropped":
            continue
        wire = codecs.encode(emission.message)
        assert emission.key == emission.message["checkpoint_id"] == truth(emission).checkpoint_id
        assert emission.key in checkpoints
        event_time = datetime.fromisoformat(str(emission.message["event_time"]))
        hit = parse_hit(codecs.decode_object(wire, max_bytes=65536), now=event_time)
        assert hit.plate.normalised in (
            truth(emission).plate,
            normalise_plate(str(emission.message["plate_text"])),
        )
        assert event_time.utcoffset() == timedelta(hours=8)
        assert event_time.timestamp() * 1000 == emission.at_ms


def test_hits_validate_against_the_schema() -> None:
    schema = validator("anpr.hits")
    sample = [e for n, e in enumerate(hits()) if n % 10 == 0 or truth(e).noise != "none"]
    for emission in sample:  # every tenth, and every noisy one: the schema accepts dropped reads too
        schema.validate(orjson.loads(codecs.encode(emission.message)))
    assert len(sample) > 3000


def test_reports_are_valid_positions_from_patrols_workstations_and_guards() -> None:
    reports = [e for e in hour() if e.kind == "report"]
    schema = validator("patrol.reports")
    for emission in reports:
        message = orjson.loads(codecs.encode(emission.message))
        schema.validate(message)
        report = parse_report(emission.key, message)
        assert report.kind == "position"  # never an incident by accident
        assert report.lon is not None and report.lat is not None
    kinds = Counter(e.message["unit_kind"] for e in reports)
    assert {"patrol_car", "foot", "workstation", "security_guard"} <= set(kinds)
    assert 100 <= len(reports) <= 1000  # "now and then": a few a minute over the city


def test_guards_report_suspicious_activity_only_when_asked() -> None:
    config = TrafficConfig(rate=0.001, suspicious_share=1.0, guards=5)
    simulation = TrafficSimulation(network(), START, seed=SEED, config=config)
    reports = [e for e in simulation.advance(START + timedelta(hours=2)) if e.kind == "report"]
    suspicious = [e for e in reports if e.message["kind"] == "suspicious_activity"]
    assert suspicious and all(e.message["unit_kind"] == "security_guard" for e in suspicious)
    for emission in suspicious:
        validator("patrol.reports").validate(emission.message)
        assert parse_report(emission.key, emission.message).count


def test_patrols_stay_near_their_workstation() -> None:
    points = topology().points
    for emission in hour():
        unit = emission.key
        if emission.kind == "report" and unit.startswith("SIM-WS-"):
            workstation = points[unit.removeprefix("SIM-")[:5]]
            place = emission.message["place"]
            here = (place["lon"], place["lat"])  # type: ignore[index]
            assert geo.distance_m(workstation.location, here) < 5000


# --- the sample watchlist --------------------------------------------------------------------------------


def test_a_sample_watchlist_lists_cars_that_are_read_within_minutes() -> None:
    simulation = TrafficSimulation(network(), START, seed=SEED, config=TrafficConfig(rate=RATE))
    sample = simulation.vehicles_on_the_road(5)
    entries = watchlist_entries(sample, seed=SEED, start=START)
    assert [e["entry_id"] for e in entries] == [f"SIM-WL-{SEED}-{n:03d}" for n in range(1, 6)]
    for entry in entries:
        validator("watchlist.entries").validate(entry)
        listed = parse_entry(str(entry["entry_id"]), entry)
        assert listed.is_valid_at(START)
    read = {truth(e).plate for e in simulation.advance(START + timedelta(minutes=2)) if e.kind == "hit"}
    assert {vehicle.plate for vehicle in sample} <= read
    assert not any(vehicle.special for vehicle in sample)


def test_the_registrys_units_are_the_ones_that_report_when_given() -> None:
    from streams.domain.forces.units import Unit
    from streams.tools.simulate import patrols

    roster = [
        Unit("MP-07", "motor_patrol", "WS-03", frozenset({"armed", "vehicle"})),
        Unit("WS03-F1", "workstation_unit", "WS-03", frozenset({"foot"})),
        Unit("SG-BAOJI-02", "security_guard", "WS-11", frozenset({"foot"})),
        Unit("OLD-1", "motor_patrol", "WS-03", frozenset({"vehicle"}), status="retired"),
        Unit("LOST-1", "motor_patrol", "NOWHERE", frozenset({"vehicle"})),
    ]
    units, homeless = patrols.roster_units(network(), roster)
    assert homeless == ["LOST-1"]
    kinds = {u.unit_id: u.unit_kind for u in units}
    assert kinds == {"MP-07": "patrol_car", "WS03-F1": "foot", "SG-BAOJI-02": "security_guard"}
    simulation = TrafficSimulation(network(), START, seed=SEED, config=TrafficConfig(rate=RATE), units=units)
    reports = [e for e in simulation.advance(START + timedelta(hours=1)) if e.kind == "report"]
    assert {e.key for e in reports} == set(kinds)
    for emission in reports:
        parse_report(emission.key, orjson.dumps(emission.message), ref=START, max_bytes=65536)
