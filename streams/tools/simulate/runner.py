"""`citygate simulate`: the city's background traffic on Kafka, paced against a simulation clock.

The traffic itself is the pure, seeded model in `traffic.py` and the modules it uses; this module only runs
its clock, produces what it returns (batched: kafka-python's producer batches by itself, and nothing here
waits per message), and prints progress. Hits are keyed by checkpoint id, reports by unit id, as the camera
gateways and the radio room key them.

Simulated time runs at `speed` × real time from `start`. The worker refuses hits more than
CITYGATE_MAX_CLOCK_SKEW_S in the future, so with `speed` > 1 and a duration the default start is chosen for
the run to end about now; without a duration a fast run soon runs ahead of the clock (a warning says so).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from streams import codecs, topics
from streams.domain.forces.units import Unit
from streams.domain.geography.topology import Topology
from streams.settings import Settings
from streams.tools.kafka_io import BrokerLag, producer
from streams.tools.signer import RecordSigner
from streams.tools.simulate import patrols
from streams.tools.simulate.network import RoadNetwork
from streams.tools.simulate.records import TrafficConfig, watchlist_entries
from streams.tools.simulate.traffic import TrafficSimulation

PROGRESS_EVERY_S = 5.0
_TICK_S = 0.05  # how often a caught-up loop looks at the clock
_MAX_STEP_S = 2.0  # simulated seconds per step, so progress and stop checks keep coming when far behind


@dataclass(frozen=True, slots=True)
class SimulateOptions:
    rate: float = 1.0
    seed: int = 2022
    speed: float = 1.0
    start: datetime | None = None
    seconds: float | None = None  # simulated seconds to run
    max_hits: int | None = None
    watchlist_sample: int = 0
    topology: str | None = None  # a GeoJSON file; None: what the worker uses
    suspicious_share: float = 0.0
    roster: tuple[Unit, ...] | None = None  # the unit registry's units to move; None: generated ones


@dataclass
class Totals:
    hits: int = 0
    reports: int = 0
    entries: int = 0
    noisy: int = 0
    duplicates: int = 0
    sampled_plates: list[str] = field(default_factory=list)


def default_start(now: datetime, speed: float, seconds: float | None) -> datetime:
    """Now; with `speed` > 1 and a duration, early enough that the run ends about now (hits from the future
    are refused by the worker)."""
    if speed > 1 and seconds is not None:
        return now - timedelta(seconds=seconds * (1 - 1 / speed))
    return now


def load_simulation_topology(settings: Settings, path: str | None) -> Topology:
    """The `--topology` file, else the worker's; a file that cannot be used is a TopologyFileError."""
    from streams.topology_file import load_topology, read_topology_file

    return read_topology_file(path) if path else load_topology(settings)


def run_simulation(settings: Settings, options: SimulateOptions, echo: Callable[[str], None]) -> Totals:
    """Produce traffic until the duration or the hit limit is reached, or Ctrl-C; flush on the way out."""
    built = time.monotonic()
    topology = load_simulation_topology(settings, options.topology)
    network = RoadNetwork.build(topology, options.seed)
    config = TrafficConfig(rate=options.rate, suspicious_share=options.suspicious_share)
    start = options.start or default_start(datetime.now(UTC), options.speed, options.seconds)
    units = None
    if options.roster is not None:
        units, homeless = patrols.roster_units(network, options.roster)
        echo(f"simulate: {len(units):,} units from the unit registry")
        if homeless:
            shown = ", ".join(homeless[:5]) + (" …" if len(homeless) > 5 else "")
            echo(f"simulate: {len(homeless)} units left out (their home is not on the map): {shown}")
    simulation = TrafficSimulation(network, start, seed=options.seed, config=config, units=units)
    local_start = simulation.now
    end = None if options.seconds is None else local_start + timedelta(seconds=options.seconds)
    echo(
        f"simulate: {len(network.cameras):,} checkpoints, {len(network.drivable):,} road points, "
        f"{len(network.hubs)} hubs; ready in {time.monotonic() - built:.1f} s. "
        f"Start {local_start:%Y-%m-%d %H:%M:%S%z}, ×{options.speed:g}, rate {options.rate:g} "
        f"(≈ {config.hits_per_day * options.rate:,.0f} hits/day; "
        f"{simulation.target_rate(local_start) * options.speed:,.1f}/s now)"
        + (f", {options.seconds:g} simulated s" if end else "")
    )
    if options.speed > 1 and end is None:
        echo(
            f"simulate: at ×{options.speed:g} without --seconds, event times run ahead of the clock; "
            f"the worker refuses hits more than {settings.max_clock_skew_s:g} s in the future"
        )
    totals = Totals()
    kafka = producer(settings, batch_size=256 * 1024)
    hits_topic, reports_topic = settings.topic(topics.HITS), settings.topic(topics.PATROL_REPORTS)
    lag: BrokerLag | None = None
    try:
        if options.watchlist_sample > 0:
            sign = RecordSigner.from_settings(settings, echo, "simulate")
            vehicles = simulation.vehicles_on_the_road(options.watchlist_sample)
            for entry in watchlist_entries(vehicles, seed=options.seed, start=local_start):
                entry_id = str(entry["entry_id"])
                signed = sign(topics.WATCHLIST, entry_id, entry)
                kafka.send(
                    settings.topic(topics.WATCHLIST), key=entry_id.encode(), value=codecs.encode(signed)
                )
                totals.entries += 1
                totals.sampled_plates.append(str(entry["plate"]))
            kafka.flush(timeout=30)  # listed before their cars are read
            echo(f"simulate: listed {totals.entries} simulated cars: {' '.join(totals.sampled_plates)}")
        try:
            lag = BrokerLag(settings, settings.hits_group, topics.HITS)  # the workers' hits consumer
        except Exception:  # noqa: BLE001 - lag is a nicety; the traffic must flow without it
            lag = None
        clock = time.monotonic()
        last_report, hits_then = clock, 0
        done = False
        while not done:
            wall = time.monotonic()
            due = local_start + timedelta(seconds=(wall - clock) * options.speed)
            if end is not None and due >= end:
                due, done = end, True
            step_to = min(due, simulation.now + timedelta(seconds=_MAX_STEP_S))
            done = done and step_to == due
            for emission in simulation.advance(step_to):
                if emission.kind == "hit":
                    if options.max_hits is not None and totals.hits >= options.max_hits:
                        done = True
                        break
                    kafka.send(hits_topic, key=emission.key.encode(), value=codecs.encode(emission.message))
                    totals.hits += 1
                    truth = emission.truth
                    if truth is not None:
                        totals.noisy += truth.noise != "none"
                        totals.duplicates += truth.duplicate
                else:
                    kafka.send(
                        reports_topic, key=emission.key.encode(), value=codecs.encode(emission.message)
                    )
                    totals.reports += 1
            if options.max_hits is not None and totals.hits >= options.max_hits:
                done = True
            now = time.monotonic()
            if now - last_report >= PROGRESS_EVERY_S or done:
                behind = max(
                    0.0, (now - clock) - (simulation.now - local_start).total_seconds() / options.speed
                )
                rate = (totals.hits - hits_then) / max(now - last_report, 1e-6)
                target = simulation.target_rate(simulation.now) * options.speed
                behind_lag = _messages_behind(lag)
                echo(_progress_line(simulation.now, options.speed, rate, target, totals, behind, behind_lag))
                last_report, hits_then = now, totals.hits
            if not done and simulation.now >= due:
                time.sleep(_TICK_S)
    except KeyboardInterrupt:
        echo("simulate: stopping (Ctrl-C)")
    finally:
        kafka.flush(timeout=30)
        kafka.close()
        if lag is not None:
            lag.close()
        echo(
            f"simulate: sent {totals.hits:,} hits ({totals.noisy:,} noisy reads, "
            f"{totals.duplicates:,} second-lane reads), {totals.reports:,} reports, "
            f"{totals.entries} watchlist entries; "
            f"simulated up to {simulation.now:%Y-%m-%d %H:%M:%S%z}"
        )
    return totals


def _messages_behind(lag: BrokerLag | None) -> int | None:
    """The workers' lag on anpr.hits, summed; None while they have not committed or the broker is slow."""
    if lag is None:
        return None
    try:
        found = lag.lags(committed_only=True)
    except Exception:  # noqa: BLE001 - progress must go on when the broker is slow to answer
        return None
    return sum(found.values()) if found else None


def _progress_line(
    moment: datetime, speed: float, rate: float, target: float, totals: Totals, behind: float, lag: int | None
) -> str:
    return (
        f"simulate: {moment:%Y-%m-%d %H:%M:%S%z} ×{speed:g}  hits {rate:,.1f}/s (target {target:,.1f}/s)  "
        f"sent {totals.hits:,} hits, {totals.reports:,} reports, {totals.entries} entries  "
        f"behind {behind:.1f} s  lag {'n/a' if lag is None else f'{lag:,}'}"
    )
