"""The integration tier: a real Kafka broker (started by `make test`) and real worker processes.

Each test gets its own topic prefix and app id, so tests never see each other's messages, and its topics
(the public ones and Faust's own, named after the app id) are deleted afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams import topics
from streams.cli.operators import registry_value
from streams.codecs import REASON_HEADER
from streams.codecs.signed import signature_header, signed_message
from streams.settings import Settings
from streams.signing import SigningKey
from streams.tools.admin import create_topics, delete_topics
from streams.topics import worker_topics
from tests.keys import INCIDENT_DESK, desk_key_file
from tests.ports import free_port

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP")
    if not bootstrap:
        pytest.fail(
            "KAFKA_BOOTSTRAP is not set: run the integration tier with `make test`, which starts a broker"
        )
    return bootstrap


@dataclass
class Cluster:
    """One test's slice of the broker: its settings, and clients that speak as outsiders would."""

    settings: Settings
    env: dict[str, str]
    workdir: Path
    workers: list[WorkerProcess] = field(default_factory=list)
    _producer: KafkaProducer | None = None

    def producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap, acks="all", linger_ms=2
            )
        return self._producer

    def send(
        self,
        topic: str,
        value: bytes | dict[str, object] | None,
        key: str | bytes | None = None,
        *,
        signed_by: SigningKey | None | bool = True,
    ) -> None:
        """Send a record; an operator command or a watchlist entry (a dict) or tombstone (None) is signed
        by the test officer unless `signed_by` names another key or is False (an unsigned one)."""
        headers: list[tuple[str, bytes]] = []
        signer = OFFICER if signed_by is True or signed_by is None else signed_by
        text_key = key.decode() if isinstance(key, bytes) else str(key)
        if topic in (topics.OPERATOR_COMMANDS, topics.WATCHLIST) and isinstance(value, dict) and signer:
            value = signed_message(value, signer.sign(topic=topic, key=text_key, value=value))
        if topic == topics.WATCHLIST and value is None and signer:
            reason = "test removal"
            signature = signer.sign(topic=topic, key=text_key, value=None, reason=reason)
            headers = [signature_header(signature), (REASON_HEADER, reason.encode())]
        raw = orjson.dumps(value) if isinstance(value, dict) else value
        raw_key = key.encode() if isinstance(key, str) else key
        self.producer().send(self.settings.topic(topic), key=raw_key, value=raw, headers=headers)

    def flush(self) -> None:
        self.producer().flush(timeout=30)

    def read(
        self,
        topic: str,
        *,
        until: Callable[[list[dict[str, object]]], bool],
        timeout: float = 90.0,
        settle: float = 0.0,
        lenient: bool = False,
    ) -> list[dict[str, object]]:
        """All of `topic` from the start, once `until` holds (and `settle` s more, to catch extras);
        `lenient` skips what is no JSON object (a forger's writes to a topic under test)."""
        consumer = KafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap, group_id=None, enable_auto_commit=False
        )
        try:
            name = self.settings.topic(topic)
            tps = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or [])]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            messages: list[dict[str, object]] = []
            deadline = time.monotonic() + timeout
            settle_until: float | None = None
            while True:
                for records in consumer.poll(timeout_ms=250).values():
                    messages.extend(_objects(records, lenient))
                now = time.monotonic()
                if settle_until is None and until(messages):
                    settle_until = now + settle
                if settle_until is not None and now >= settle_until:
                    return messages
                if now > deadline:
                    self.dump_worker_logs()
                    raise AssertionError(f"timed out on {topic}: {len(messages)} messages: {messages[-5:]}")
                for worker in self.workers:
                    worker.assert_alive()
        finally:
            consumer.close()

    def wait_past_listing(self) -> None:
        """Sleep past the listing grace: hits sent from now on are live matching's, not the retro-match's
        (streams/domain/matching/retro.py)."""
        time.sleep(self.settings.listing_grace_s + 0.5)

    def start_worker(self, name: str = "worker") -> WorkerProcess:
        worker = WorkerProcess.start(self, name)
        self.workers.append(worker)
        return worker

    def dump_worker_logs(self) -> None:
        for worker in self.workers:
            print(f"----- {worker.log_path} -----\n{worker.log_tail(80)}")


def _objects(records: list[Any], lenient: bool) -> list[dict[str, object]]:
    found = []
    for record in records:
        if record.value is None:
            continue
        try:
            value = orjson.loads(record.value)
        except orjson.JSONDecodeError:
            if not lenient:
                raise
            continue
        if isinstance(value, dict):
            found.append(value)
        elif not lenient:
            raise AssertionError(f"not a JSON object on {record.topic}: {record.value[:80]!r}")
    return found


@dataclass
class WorkerProcess:
    """`citygate worker` as a separate OS process, as it runs in production."""

    process: subprocess.Popen[bytes]
    log_path: Path
    web_port: int
    killed: bool = False

    @classmethod
    def start(cls, cluster: Cluster, name: str) -> WorkerProcess:
        web_port = free_port()
        log_path = cluster.workdir / f"{name}-{web_port}.log"
        env = {**cluster.env, "CITYGATE_WEB_PORT": str(web_port)}
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker", "-l", env.get("CITYGATE_LOG_LEVEL", "info")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parents[2],
        )
        worker = cls(process, log_path, web_port)
        worker.wait_healthy()
        return worker

    def health(self) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/health", timeout=2) as response:  # noqa: S310
                return int(response.status)
        except OSError as exc:
            return getattr(exc, "code", None)

    def health_json(self) -> dict[str, object]:
        """/health's body, whatever its status (a 503 says why in its body)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/health", timeout=2) as response:  # noqa: S310
                return dict(orjson.loads(response.read()))
        except urllib.error.HTTPError as exc:
            return dict(orjson.loads(exc.read()))

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            if self.health() == 200:
                return
            time.sleep(0.25)
        raise AssertionError(f"worker not healthy after {timeout}s:\n{self.log_tail(60)}")

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/metrics", timeout=5) as response:  # noqa: S310
            return response.read().decode()

    def assert_alive(self) -> None:
        if not self.killed and self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log_tail(60)}")

    def log_tail(self, lines: int) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """Die without any chance to commit or clean up (SIGKILL)."""
        self.killed = True
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop as an orchestrator would (SIGTERM), giving the worker its chance to commit."""
        if self.killed or self.process.poll() is not None:
            self.killed = True
            return
        self.killed = True  # an exit from here on is expected
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"worker ignored SIGTERM for 30 s:\n{self.log_tail(40)}") from None
        # The hand-over a graceful stop makes (final commit, leaving the group) must not fail unseen.
        assert self.process.returncode == 0, (
            f"worker exited with {self.process.returncode}:\n{self.log_tail(40)}"
        )


# The registry's root and the officer every test's commands are signed by (a commander and watchlist
# administrator), registered in each test's own registry topic by the `cluster` fixture.
ROOT = SigningKey.generate("root")
OFFICER = SigningKey.generate("op-7")


def register(cluster: Cluster, person: SigningKey, *roles: str, status: str = "active") -> None:
    """Register `person` (signed by the root) and wait until the record is on the topic."""
    value = registry_value(person.person_id, person.public_key_b64, list(roles), status, ROOT, _now())
    cluster.send(topics.REGISTRY, value, key=person.person_id)
    cluster.flush()


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.fixture
def cluster(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Cluster]:
    run = uuid.uuid4().hex[:10]
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CITYGATE_APP_ID": f"citygate-test-{run}",
        "CITYGATE_TOPIC_PREFIX": f"t{run}.",
        "CITYGATE_DATA_DIR": str(tmp_path / "data"),
        "CITYGATE_HITS_PARTITIONS": "4",
        "CITYGATE_REQUIRE_SIGNATURES": "true",
        "CITYGATE_REGISTRY_ROOT_ID": ROOT.person_id,
        "CITYGATE_REGISTRY_ROOT_KEY": ROOT.public_key_b64,
        "CITYGATE_OPERATOR_KEY_FILE": str(tmp_path / "op-7.key"),
        "CITYGATE_WORKER_KEY_FILE": desk_key_file(tmp_path),
    }
    OFFICER.write(tmp_path / "op-7.key")
    settings = Settings.from_env(env)
    create_topics(settings)
    test_cluster = Cluster(settings, env, tmp_path)
    register(test_cluster, OFFICER, "commander", "watchlist_admin")
    register(test_cluster, INCIDENT_DESK, "incident_desk")
    try:
        yield test_cluster
    finally:
        for worker in test_cluster.workers:
            worker.stop()
        if test_cluster._producer is not None:
            test_cluster._producer.close()
        delete_topics(settings, [spec.physical(settings) for spec in worker_topics(settings)])
