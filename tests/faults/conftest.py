"""The fault tier: a replicated 3-node Kafka cluster of its own, whose nodes the tests crash, stop, restart.

The cluster is `deploy/local/kafka start --brokers 3` in a temporary run dir on free ports (each node a KRaft
broker+controller: a 3-voter quorum, replication factor 3, min ISR 2). It is started once for the tier and
stopped and purged after its last test; before each test every stopped node is started again. The tier needs
no other broker and ignores KAFKA_BOOTSTRAP: `make test` runs it beside the other tiers, and
`pytest tests/faults` runs it alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from tests.ports import free_ports

pytestmark = pytest.mark.faults

KAFKA = Path(__file__).parents[2] / "deploy" / "local" / "kafka"
BROKERS = 3


class ClusterCommandError(AssertionError):
    """A `deploy/local/kafka` command failed; the message has its output."""


@dataclass
class KafkaCluster:
    """The tier's cluster, driven through `deploy/local/kafka` (node ids are 1..brokers)."""

    bootstrap: str
    env: dict[str, str]
    brokers: int = BROKERS

    def run(self, *args: str, timeout: float = 180.0) -> str:
        """Run `deploy/local/kafka ARGS` for this cluster; its stdout, or ClusterCommandError."""
        done = subprocess.run(
            [str(KAFKA), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise ClusterCommandError(
                f"deploy/local/kafka {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
            )
        return done.stdout

    # ---- node control ----------------------------------------------------------------------------
    def kill(self, node: int) -> None:
        """SIGKILL the node (a crash: no controlled shutdown, no flush)."""
        self.run("kill", "--node", str(node))

    def stop(self, node: int) -> None:
        """Stop the node cleanly (SIGTERM: controlled shutdown, leaderships handed over first)."""
        self.run("stop", "--node", str(node))

    def start(self, node: int) -> None:
        """Start a stopped or killed node again with its data; returns once it is registered and unfenced."""
        self.run("start", "--node", str(node))

    def pids(self) -> dict[int, int]:
        """{node: pid} of the running nodes."""
        try:
            out = self.run("pids")
        except ClusterCommandError:
            return {}  # no node runs
        return {int(node): int(pid) for node, pid, _port in (line.split() for line in out.splitlines())}

    def heal(self) -> None:
        """Start every node that is not running (so each test begins with the whole cluster)."""
        running = self.pids()
        for node in range(1, self.brokers + 1):
            if node not in running:
                self.start(node)

    # ---- metadata --------------------------------------------------------------------------------
    def admin(self) -> KafkaAdminClient:
        """A new admin client on every node (the caller closes it)."""
        return KafkaAdminClient(
            bootstrap_servers=self.bootstrap,
            client_id="citygate-faults",
            request_timeout_ms=5000,
            reconnect_backoff_max_ms=500,
        )

    def partitions(self, topic: str, timeout: float = 15.0) -> dict[int, dict[str, Any]]:
        """{partition: its metadata (`leader_id`, `replica_nodes`, `isr_nodes`, ...)} as a live node sees it.

        Retried: the admin client sends each request to one node it picks at random among those the cluster
        metadata lists, which includes a dead node until the controller fences it (then the request fails),
        and a node may not know a topic created a moment ago on another."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with closing(self.admin()) as admin:
                    [described] = admin.describe_topics([topic])
                if described["error_code"] == 0 and described["partitions"]:
                    return {int(p["partition_index"]): dict(p) for p in described["partitions"]}
                problem: object = described
            except KafkaError as exc:
                problem = exc
            if time.monotonic() > deadline:
                raise AssertionError(f"cannot describe {topic} after {timeout:.0f}s: {problem!r}")
            time.sleep(0.2)

    def partition(self, topic: str, partition: int) -> dict[str, Any]:
        """One partition's metadata (see `partitions`)."""
        found = self.partitions(topic)
        assert partition in found, f"{topic} has no partition {partition}: {found}"
        return found[partition]

    def leader_of(self, topic: str, partition: int) -> int:
        """The node leading the partition (-1 while it has none)."""
        return int(self.partition(topic, partition)["leader_id"])

    def isr_of(self, topic: str, partition: int) -> set[int]:
        """The partition's in-sync replicas."""
        return {int(node) for node in self.partition(topic, partition)["isr_nodes"]}

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 60.0) -> float:
        """Poll `check` until it holds; the seconds it took (AssertionError naming `what` after `timeout`)."""
        start = time.monotonic()
        while not check():
            if time.monotonic() - start > timeout:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.2)
        return time.monotonic() - start


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="package")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """The tier's 3-node cluster. Package scope: it is stopped as soon as the tier's last test is done
    (under `make test` the other tiers run on without its three JVMs)."""
    ports = free_ports(2 * BROKERS)
    env = {
        **os.environ,
        "KAFKA_HOME_DIR": str(tmp_path_factory.mktemp("kafka-cluster")),
        "KAFKA_PORT": str(ports[0]),
        "KAFKA_PORTS": ",".join(map(str, ports[:BROKERS])),
        "KAFKA_CONTROLLER_PORTS": ",".join(map(str, ports[BROKERS:])),
        "KAFKA_START_TIMEOUT": "90",
    }
    env.pop("KAFKA_CONTROLLER_PORT", None)
    cluster = KafkaCluster(bootstrap=",".join(f"127.0.0.1:{p}" for p in ports[:BROKERS]), env=env)
    # SIGTERM would end pytest without its teardown: make it an interrupt, which still tears down.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster.run("start", "--brokers", str(BROKERS))
        assert cluster.run("bootstrap").strip() == cluster.bootstrap
        yield cluster
    finally:
        try:
            cluster.run("stop", "--purge", timeout=60)
        finally:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def cluster_bootstrap(kafka_cluster: KafkaCluster) -> str:
    """The cluster's bootstrap list: "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3"."""
    return kafka_cluster.bootstrap


@pytest.fixture(autouse=True)
def _whole_cluster(kafka_cluster: KafkaCluster) -> None:
    """Every test starts with all nodes running, whatever the test before it left stopped or killed."""
    kafka_cluster.heal()
