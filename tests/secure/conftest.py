"""The secure tier: `deploy/local/kafka start --secure` of its own (SASL_SSL, SCRAM-SHA-512, the standard
authorizer denying what no ACL allows, one user per role with exactly its ACLs), on free ports in a temporary
run dir, started once for the tier and stopped and purged after its last test.

Every client here speaks as one role's user, from the env file the broker's start wrote for it
(`clients/<role>.env`), so the tier checks the files people use as well as the ACLs. The topics are created
once, as admin (no role may create topics), under the tier's own prefix and app id, which the start's
`citygate acl apply --all` granted. The tier needs no other broker and ignores KAFKA_BOOTSTRAP: `make test`
runs it beside the other tiers, and `pytest tests/secure` runs it alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest

from streams.settings import Settings
from streams.tools.admin import create_topics
from tests.ports import free_ports

pytestmark = pytest.mark.secure

KAFKA = Path(__file__).parents[2] / "deploy" / "local" / "kafka"
APP_ID = "citygate-secure"
PREFIX = "sec."
FOREIGN = (
    "CITYGATE_",
    "KAFKA_BOOTSTRAP",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_",
    "KAFKA_SSL_",
    "KAFKA_PORT",
    "KAFKA_CONTROLLER_PORT",
    "KAFKA_HOME_DIR",
    "KAFKA_CLIENTS_DIR",
)


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of a `clients/<user>.env` file, as `set -a; . FILE` would export them."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        found[name] = value.strip("'")
    return found


@dataclass
class SecureBroker:
    """The tier's broker: where it is, and the environment of each of its users."""

    port: int
    run_dir: Path
    env: dict[str, str]  # the tier's base environment (no KAFKA_* connection variables)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def clients(self) -> Path:
        return self.run_dir / "clients"

    def run(self, *args: str, timeout: float = 180.0) -> subprocess.CompletedProcess[str]:
        """`deploy/local/kafka ARGS` for this broker (its result, whatever the exit status)."""
        return subprocess.run(
            [str(KAFKA), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def user_env(self, user: str) -> dict[str, str]:
        """The full environment of a process running as `user` (a role, or admin)."""
        return {**self.env, **read_env_file(self.clients / f"{user}.env")}

    def settings(self, user: str, **changes: str) -> Settings:
        """Settings of a client running as `user`; `changes` override variables (a wrong password file…)."""
        return Settings.from_env({**self.user_env(user), **changes})


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="package")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """The tier's secure broker with the topics created. Package scope: stopped after the tier's last test."""
    port, controller_port = free_ports(2)
    # Not the other tiers' broker nor deployment: every client here gets its connection from an env file.
    env = {name: value for name, value in os.environ.items() if not name.startswith(FOREIGN)}
    env.update(
        KAFKA_HOME_DIR=str(tmp_path_factory.mktemp("kafka-secure")),
        KAFKA_PORT=str(port),
        KAFKA_CONTROLLER_PORT=str(controller_port),
        KAFKA_START_TIMEOUT="90",
        KAFKA_HEAP=os.environ.get("KAFKA_HEAP", "-Xmx384m -Xms128m"),
        CITYGATE_APP_ID=APP_ID,
        CITYGATE_TOPIC_PREFIX=PREFIX,
        CITYGATE_HITS_PARTITIONS="2",
        CITYGATE_DATA_DIR=str(tmp_path_factory.mktemp("citygate-data")),
    )
    broker = SecureBroker(port, Path(env["KAFKA_HOME_DIR"]), env)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        started = broker.run("start", "--secure")
        assert started.returncode == 0, f"start --secure failed:\n{started.stdout}{started.stderr}"
        create_topics(broker.settings("admin"))
        yield broker
    finally:
        try:
            broker.run("stop", "--purge", timeout=60)
        finally:
            signal.signal(signal.SIGTERM, previous)
