"""A citygate deployment on the fault tier's 3-node cluster: its topics (replication 3), worker processes,
steady traffic with known matches, and the checks every fault test makes afterwards.

The traffic is what a fault must not disturb: hits from many checkpoints at a steady rate, every tenth one
of a plate on the watchlist (a distinct plate each, so each is exactly one alert), and a robbery call that
raised one incident and one lockdown before the fault. After the fault, `City.assert_intact` checks what the
issue asks: every expected alert present, duplicates only under the same alert id, the incident and
lockdown counts unchanged, and every consumer group's lag back to 0.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
from kafka import KafkaProducer

from streams import topics
from streams.settings import Settings
from streams.tools.admin import create_topics, delete_topics
from streams.tools.kafka_io import BrokerLag
from streams.topics import public_topics
from tests.integration.conftest import OFFICER, ROOT, Cluster, WorkerProcess, register
from tests.integration.test_drill import drill_call
from tests.integration.test_hits_to_alerts import live_entry, live_hit
from tests.keys import INCIDENT_DESK, desk_key_file

LISTED = 400  # watchlist entries, one plate each: enough matches for any fault window
MATCH_EVERY = 10  # one hit in ten is of a listed plate
CHECKPOINTS = 60


def listed_plate(n: int) -> str:
    return f"苏K{n:05d}"


def other_plate(n: int) -> str:
    return f"苏A{n % 100000:05d}"


@dataclass
class Traffic:
    """Hits at `rate` a second in a thread of its own, until stopped; remembers what it sent and which of
    those must each become an alert."""

    bootstrap: str
    topic: str
    rate: float = 100.0
    plates_from: int = 0  # the first listed plate it uses: another traffic on the same city uses others
    sent: int = 0
    expected: set[str] = field(default_factory=set)  # hit ids of listed plates, acknowledged by the cluster
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Traffic:
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)

    def _run(self) -> None:
        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap.split(","),
            acks="all",
            retries=2**31 - 1,
            delivery_timeout_ms=120_000,
            request_timeout_ms=10_000,
            max_in_flight_requests_per_connection=1,
            linger_ms=5,
        )
        run = uuid.uuid4().hex[:6]
        started = time.monotonic()
        n = 0
        try:
            while not self._stop.is_set():
                due = started + n / self.rate
                if (pause := due - time.monotonic()) > 0:
                    time.sleep(pause)
                checkpoint = f"YZ-EC-{n % CHECKPOINTS + 1:04d}"
                hit_id = f"fh-{run}-{n}"
                listed = self.plates_from + n // MATCH_EVERY
                match = n % MATCH_EVERY == 0 and listed < LISTED
                plate = listed_plate(listed) if match else other_plate(n)
                value = orjson.dumps(live_hit(hit_id, plate, checkpoint_id=checkpoint))
                future = producer.send(self.topic, key=checkpoint.encode(), value=value)
                if match:
                    future.add_callback(lambda _meta, hit=hit_id: self.expected.add(hit))
                future.add_errback(lambda exc: self.failures.append(repr(exc)))
                n += 1
                self.sent = n
            producer.flush(timeout=120)
        finally:
            producer.close(timeout=10)


@dataclass
class City:
    """One test's citygate on the cluster: an outsider's view through `Cluster` (tests/integration)."""

    cluster: Cluster

    @property
    def settings(self) -> Settings:
        return self.cluster.settings

    def start_worker(self, name: str) -> WorkerProcess:
        return self.cluster.start_worker(name)

    def list_plates(self) -> None:
        for n in range(LISTED):
            entry_id = f"WL-FT-{n}"
            self.cluster.send(topics.WATCHLIST, live_entry(entry_id, listed_plate(n)), key=entry_id)
        self.cluster.flush()

    def raise_lockdown(self) -> tuple[set[str], set[str]]:
        """A robbery call: (incident ids, lockdown ids) once the command side has raised both."""
        call_id = f"110-FT-{uuid.uuid4().hex[:6]}"
        self.cluster.send(topics.CALLS, drill_call(call_id), key=call_id)
        self.cluster.flush()
        self.cluster.read(topics.LOCKDOWNS, until=lambda m: len(m) >= 1, timeout=120)
        return self.incident_and_lockdown_ids()

    def incident_and_lockdown_ids(self) -> tuple[set[str], set[str]]:
        incidents = self.cluster.read(topics.INCIDENTS, until=lambda m: True, settle=1)
        lockdowns = self.cluster.read(topics.LOCKDOWNS, until=lambda m: True, settle=1)
        return (
            {str(i["incident_id"]) for i in incidents},
            {str(lockdown["lockdown_id"]) for lockdown in lockdowns},
        )

    def traffic(self, rate: float = 100.0, plates_from: int = 0) -> Traffic:
        """Traffic on the city's hits; a second one in a test starts at another plate (`plates_from`), or its
        matches would join the first one's open alerts (same vehicle, same site, within the dedup window)."""
        hits = self.settings.topic(topics.HITS)
        return Traffic(self.settings.kafka_bootstrap, hits, rate=rate, plates_from=plates_from).start()

    def assert_intact(
        self, traffic: Traffic, before: tuple[set[str], set[str]], *, timeout: float = 180
    ) -> None:
        """The checks after a fault (see the module)."""
        assert not traffic.failures, f"the cluster refused hits: {traffic.failures[:3]}"
        assert len(traffic.expected) >= 20, f"too few matches sent to judge: {len(traffic.expected)}"
        expected = set(traffic.expected)
        alerts = self.cluster.read(
            topics.ALERTS,
            until=lambda m: {str(a["refs"][0]["id"]) for a in m} >= expected,  # type: ignore[index]
            timeout=timeout,
            settle=3,
        )
        ids_by_hit: dict[str, set[str]] = {}
        for alert in alerts:
            ids_by_hit.setdefault(str(alert["refs"][0]["id"]), set()).add(str(alert["alert_id"]))  # type: ignore[index]
        assert set(ids_by_hit) == expected, (
            f"alerts for hits that should have none: {set(ids_by_hit) - expected}"
        )
        split = {hit: ids for hit, ids in ids_by_hit.items() if len(ids) > 1}
        assert not split, f"a hit raised alerts under different ids: {list(split.items())[:3]}"
        assert self.incident_and_lockdown_ids() == before
        self.wait_for_no_lag()

    def wait_for_no_lag(self, timeout: float = 90) -> None:
        """Every group's committed offsets reach the end of its topics: the hits group on anpr.hits, Faust's
        group on the watchlist and the command side's topics."""
        settings = self.settings
        groups = [(settings.hits_group, topics.HITS)] + [
            (settings.app_id, name) for name in (topics.WATCHLIST, topics.CALLS, topics.ALERTS)
        ]
        deadline = time.monotonic() + timeout
        lags: dict[str, int] = {}
        while time.monotonic() < deadline:
            lags = {}
            for group, topic in groups:
                with BrokerLag(settings, group, topic) as lag:
                    lags[f"{group}/{topic}"] = sum(v for v in lag.lags().values() if v is not None)
            if not any(lags.values()):
                return
            time.sleep(2)
        tails = "\n".join(f"----- {w.log_path} -----\n{w.log_tail(60)}" for w in self.cluster.workers)
        raise AssertionError(f"lag not back to 0 after {timeout:.0f} s: {lags}\n{tails}")


def city_on(bootstrap: str, workdir: Path) -> Iterator[City]:
    """A fresh citygate (its own app id and topic prefix) on the cluster at `bootstrap`; torn down after."""
    run = uuid.uuid4().hex[:10]
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP": bootstrap,
        "CITYGATE_APP_ID": f"citygate-faults-{run}",
        "CITYGATE_TOPIC_PREFIX": f"f{run}.",
        "CITYGATE_DATA_DIR": str(workdir / "data"),
        "CITYGATE_HITS_PARTITIONS": "4",
        "CITYGATE_REPLICATION_FACTOR": "3",
        # Signatures are checked (the default): the workers trust the integration tier's root.
        "CITYGATE_REGISTRY_ROOT_ID": ROOT.person_id,
        "CITYGATE_REGISTRY_ROOT_KEY": ROOT.public_key_b64,
        "CITYGATE_WORKER_KEY_FILE": desk_key_file(workdir),
    }
    settings = Settings.from_env(env)
    create_topics(settings)
    cluster = Cluster(settings, env, workdir)
    # The officer signs the city's watchlist entries (Cluster.send); the worker its incident listings.
    register(cluster, OFFICER, "commander", "watchlist_admin")
    register(cluster, INCIDENT_DESK, "incident_desk")
    try:
        yield City(cluster)
    finally:
        for worker in cluster.workers:
            if not worker.killed and worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait(timeout=30)
        if cluster._producer is not None:
            cluster._producer.close()
        delete_topics(settings, [settings.topic(spec.name) for spec in public_topics(settings)])


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)
