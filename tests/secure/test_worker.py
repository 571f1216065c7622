"""A `citygate worker` on SASL_SSL with nothing but the worker role's env file: a hit written as a gateway
becomes an alert an operator reads, and the worker's consumer groups, internal topics and config checks all
pass the deny-by-default authorizer."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams import topics
from streams.cli.operators import registry_value
from streams.codecs.signed import signed_message
from streams.settings import Settings
from streams.signing import SigningKey
from tests.gateway import OPENALPR_CAMERA, GatewayProcess
from tests.keys import desk_key_file
from tests.ports import free_port
from tests.secure.conftest import SecureBroker
from tests.unit.fixtures import entry_message, hit_message
from tests.vendor_payloads import alpr_group, heartbeat

pytestmark = pytest.mark.secure

ROOT = Path(__file__).parents[2]
REGISTRY_ROOT = SigningKey.generate("root")
WANDA = SigningKey.generate("wanda")  # a watchlist administrator
EVE = SigningKey.generate("eve")  # in no registry


def now_iso(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def health(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.fixture
def worker(secure_broker: SecureBroker, tmp_path: Path) -> Iterator[Path]:
    """`citygate worker` as the worker role, healthy; its log's path."""
    port = free_port()
    log_path = tmp_path / "worker.log"
    env = {
        **secure_broker.user_env("worker"),
        "CITYGATE_WEB_PORT": str(port),
        # Signatures checked, as in production: the worker trusts a registry root (no command is sent here).
        "CITYGATE_REGISTRY_ROOT_ID": REGISTRY_ROOT.person_id,
        "CITYGATE_REGISTRY_ROOT_KEY": REGISTRY_ROOT.public_key_b64,
        "CITYGATE_WORKER_KEY_FILE": desk_key_file(tmp_path),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        deadline = time.monotonic() + 90
        while health(port) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                raise AssertionError(f"worker as `worker` not healthy (exit {process.poll()}):\n{tail}")
            time.sleep(0.25)
        yield log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def send(settings: Settings, topic: str, key: str, value: dict[str, object]) -> None:
    producer = KafkaProducer(**settings.connection().client_kwargs(), acks="all")
    try:
        producer.send(settings.topic(topic), key=key.encode(), value=orjson.dumps(value)).get(timeout=30)
    finally:
        producer.close(timeout=5)


def alerts_for(settings: Settings, plate: str, timeout: float = 60.0) -> list[dict[str, object]]:
    """The alerts on `plate`, read as `settings`' user; waits until there is one."""
    consumer = KafkaConsumer(**settings.connection().client_kwargs(), group_id=None, enable_auto_commit=False)
    try:
        name = settings.topic(topics.ALERTS)
        partitions = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or {0})]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        found: list[dict[str, object]] = []
        while not found and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=250).values():
                for record in records:
                    value = orjson.loads(record.value) if record.value else None
                    if isinstance(value, dict) and value.get("plate") == plate:
                        found.append(value)
        return found
    finally:
        consumer.close()


def list_plate(secure_broker: SecureBroker, entry_id: str, plate: str) -> None:
    """A watchlist entry for `plate`, signed by wanda, whom the root registered (a registry record, written
    as registry_admin): the worker alerts only on entries their signer may list. Waits past the listing
    grace, so a hit sent after it is live matching's, not the retro-match's."""
    entry = entry_message(
        entry_id=entry_id, plate=plate, valid_from=now_iso(days=-1), valid_until=now_iso(days=1)
    )
    value = registry_value(WANDA.person_id, WANDA.public_key_b64, ["watchlist_admin"], "active",
                           REGISTRY_ROOT, datetime.now(UTC))  # fmt: skip
    send(secure_broker.settings("registry_admin"), topics.REGISTRY, WANDA.person_id, orjson.loads(value))
    entry = signed_message(entry, WANDA.sign(topic=topics.WATCHLIST, key=entry_id, value=entry))
    send(secure_broker.settings("watchlist_admin"), topics.WATCHLIST, entry_id, entry)
    time.sleep(secure_broker.settings("worker").listing_grace_s + 1.0)


def test_a_worker_as_the_worker_role_turns_a_gateways_hit_into_an_operators_alert(
    secure_broker: SecureBroker, worker: Path
) -> None:
    plate = "苏K54321"
    list_plate(secure_broker, "WL-SECURE", plate)
    hit = hit_message(hit_id="YZ-EC-0001-secure-1", plate_text=plate, event_time=now_iso(seconds=-1))
    send(secure_broker.settings("gateway"), topics.HITS, str(hit["checkpoint_id"]), hit)
    found = alerts_for(secure_broker.settings("operator"), plate)
    assert found, f"no alert on {plate} as operator:\n{worker.read_text(errors='replace')[-4000:]}"
    assert found[0]["kind"] in ("watchlist_match", "retro_match")

    # Records that reached the topics through the ACLs but not through a signature: a command forged in
    # wanda's name by eve (as the operator role), an unsigned entry (as the watchlist role). Each is one
    # dead letter (read as ops) and one refusal on the audit trail (read as the auditor), and nothing else.
    command = {
        "schema_version": 1,
        "command_id": "cmd-secure-forged",
        "command": "lift_lockdown",
        "target_id": "ld-0123456789abcdef0123",
        "operator_id": "wanda",
        "issued_at": now_iso(),
        "reason_code": "false_alarm",
    }
    forged = signed_message(
        command, EVE.sign(topic=topics.OPERATOR_COMMANDS, key=command["target_id"], value=command)
    )
    forged["signature"]["signer"] = "wanda"  # type: ignore[index]
    send(secure_broker.settings("operator"), topics.OPERATOR_COMMANDS, command["target_id"], forged)
    unsigned = entry_message(entry_id="WL-UNSIGNED", plate="苏K54322", valid_from=now_iso(days=-1))
    send(secure_broker.settings("watchlist_admin"), topics.WATCHLIST, "WL-UNSIGNED", unsigned)
    ours = {base64.b64encode(key).decode() for key in (b"ld-0123456789abcdef0123", b"WL-UNSIGNED")}

    def mine(letters: list[dict[str, Any]]) -> list[dict[str, Any]]:  # the tier's other tests wrote some too
        return [d for d in letters if (d.get("source") or {}).get("key_b64") in ours]

    letters = mine(read_all(secure_broker.settings("ops"), topics.DEADLETTER, lambda m: len(mine(m)) >= 2))
    assert sorted(str(d["reason"]["code"]) for d in letters) == ["bad_signature", "unsigned"], letters
    subjects = {"WL-UNSIGNED", "ld-0123456789abcdef0123"}

    def refused(audit: list[dict[str, Any]]) -> list[str]:
        return sorted(
            str(a["subject"]) for a in audit if a.get("action") == "refused" and a.get("subject") in subjects
        )

    audit = read_all(secure_broker.settings("auditor"), topics.AUDIT, lambda m: len(refused(m)) >= 2)
    assert refused(audit) == sorted(subjects)


def read_all(
    settings: Settings, topic: str, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 60.0
) -> list[dict[str, Any]]:
    """Every JSON object on `topic` from the beginning, read as `settings`' user, once `until` holds."""
    consumer = KafkaConsumer(**settings.connection().client_kwargs(), group_id=None, enable_auto_commit=False)
    try:
        name = settings.topic(topic)
        partitions = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or {0})]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        found: list[dict[str, Any]] = []
        while not until(found):
            assert time.monotonic() < deadline, f"timed out on {topic}: {found}"
            for records in consumer.poll(timeout_ms=250).values():
                found.extend(orjson.loads(r.value) for r in records if r.value)
        return found
    finally:
        consumer.close()


def test_an_http_gateway_as_the_gateway_role_turns_a_cameras_post_into_an_operators_alert(
    secure_broker: SecureBroker, worker: Path, tmp_path: Path
) -> None:
    """`citygate gateway` with nothing but the gateway role's env file (its registry written as
    gateway_admin): an OpenALPR agent's post reaches anpr.hits and the alert reaches the operator, and a
    heartbeat reaches cameras.status, which ops may read."""
    plate = "苏K54323"
    list_plate(secure_broker, "WL-SECURE-GW", plate)
    gateway = GatewayProcess.start(
        secure_broker.settings("gateway_admin"), secure_broker.user_env("gateway"), tmp_path
    )
    try:
        posted = gateway.post("/v1/openalpr", alpr_group(OPENALPR_CAMERA, plate, uuid_tail="secure"))
        assert posted.status == 200, (posted.body, gateway.log_tail())
        dark = gateway.post("/v1/openalpr", heartbeat(OPENALPR_CAMERA, streaming=False))
        assert dark.status == 200 and dark.body["camera_statuses"] == 1, dark.body
    finally:
        gateway.stop()
    found = alerts_for(secure_broker.settings("operator"), plate)
    assert found, f"no alert on {plate} as operator:\n{worker.read_text(errors='replace')[-4000:]}"
    refs = {str(ref["id"]) for alert in found for ref in alert["refs"]}  # type: ignore[attr-defined]
    assert posted.body["hit_ids"][0] in refs, found
    statuses = read_all(
        secure_broker.settings("ops"),
        topics.CAMERA_STATUS,
        lambda found: any(s.get("camera") == OPENALPR_CAMERA.key for s in found),
    )
    # The tier's role tests write other records here too: only this camera's count.
    assert any(s.get("camera") == OPENALPR_CAMERA.key and s.get("streaming") is False for s in statuses)
