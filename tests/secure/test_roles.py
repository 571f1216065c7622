"""Each role's user can do its job on the secure broker and is refused everything else, by error type.

First the issue's cases, written out by hand (they do not trust streams/roles.py: a table that gave an
operator the watchlist would fail here), then every role against every public topic as the table says, then
the connections the broker must refuse: plaintext, a wrong password, an unknown user, an untrusted CA.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
)

from streams import topics
from streams.roles import ROLES
from streams.settings import Settings
from tests.secure.conftest import APP_ID, SecureBroker

pytestmark = pytest.mark.secure

PROBE = orjson.dumps({"probe": "secure tier"})  # not a valid message: the worker dead-letters it
TIMEOUT_MS = 10_000


@contextmanager
def producer(settings: Settings) -> Iterator[KafkaProducer]:
    client = KafkaProducer(
        **settings.connection().client_kwargs(), acks="all", max_block_ms=TIMEOUT_MS, retries=0
    )
    try:
        yield client
    finally:
        client.close(timeout=5)


def write(client: KafkaProducer, settings: Settings, topic: str) -> None:
    """One message to `topic`, confirmed; raises what the broker says."""
    client.send(settings.topic(topic), key=b"secure-tier", value=PROBE).get(timeout=TIMEOUT_MS / 1000)


@contextmanager
def consumer(settings: Settings, group: str | None = None) -> Iterator[KafkaConsumer]:
    client = KafkaConsumer(
        **settings.connection().client_kwargs(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=TIMEOUT_MS + 1000,
        fetch_max_wait_ms=100,  # an allowed fetch of an empty partition answers quickly too
    )
    try:
        yield client
    finally:
        client.close()


def read_with(client: KafkaConsumer, settings: Settings, topic: str, seconds: float = 1.0) -> int:
    """Read partition 0 of `topic` from the start for `seconds`; how many records came (raises a refusal:
    the offset lookup needs DESCRIBE, each fetch READ)."""
    partition = TopicPartition(settings.topic(topic), 0)
    client.assign([partition])
    client.seek_to_beginning()
    client.position(partition)
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for records in client.poll(timeout_ms=100).values():
            count += len(records)
    return count


def read(settings: Settings, topic: str) -> int:
    """`read_with` a consumer of its own."""
    with consumer(settings) as client:
        return read_with(client, settings, topic)


def join(settings: Settings, topic: str, group: str) -> None:
    """Subscribe to `topic` in consumer group `group` and poll until assigned (raises a refusal)."""
    with consumer(settings, group) as client:
        client.subscribe([settings.topic(topic)])
        deadline = time.monotonic() + 15
        while not client.assignment() and time.monotonic() < deadline:
            client.poll(timeout_ms=200)


# ---- the cases -----------------------------------------------------------------------------------
def test_a_gateway_writes_hits_and_cannot_read_alerts(secure_broker: SecureBroker) -> None:
    gateway = secure_broker.settings("gateway")
    with producer(gateway) as client:
        write(client, gateway, topics.HITS)
        with pytest.raises(TopicAuthorizationFailedError):
            write(client, gateway, topics.ALERTS)
    with pytest.raises(TopicAuthorizationFailedError):
        read(gateway, topics.ALERTS)
    with pytest.raises(TopicAuthorizationFailedError):
        read(gateway, topics.HITS)  # it writes hits, nobody's plates to read back


def test_an_operator_reads_alerts_and_writes_commands_but_not_restricted_alerts_or_the_watchlist(
    secure_broker: SecureBroker,
) -> None:
    operator = secure_broker.settings("operator")
    read(operator, topics.ALERTS)
    read(operator, topics.INCIDENTS)
    read(operator, topics.COMMAND_RESULTS)  # the answers to its commands
    with producer(operator) as client:
        write(client, operator, topics.OPERATOR_COMMANDS)
        with pytest.raises(TopicAuthorizationFailedError):
            write(client, operator, topics.WATCHLIST)
        with pytest.raises(TopicAuthorizationFailedError):
            write(client, operator, topics.ALERTS)  # no forged alerts
        with pytest.raises(TopicAuthorizationFailedError):
            write(client, operator, topics.COMMAND_RESULTS)  # no forged answers
    with pytest.raises(TopicAuthorizationFailedError):
        read(operator, topics.ALERTS_RESTRICTED)


def test_a_privileged_operator_reads_restricted_alerts(secure_broker: SecureBroker) -> None:
    privileged = secure_broker.settings("privileged_operator")
    read(privileged, topics.ALERTS_RESTRICTED)
    read(privileged, topics.ALERTS)
    with producer(privileged) as client, pytest.raises(TopicAuthorizationFailedError):
        write(client, privileged, topics.WATCHLIST)


def test_an_auditor_reads_the_audit_trail_only(secure_broker: SecureBroker) -> None:
    auditor = secure_broker.settings("auditor")
    read(auditor, topics.AUDIT)
    for topic in (topics.ALERTS, topics.ALERTS_RESTRICTED, topics.OPERATOR_COMMANDS, topics.WATCHLIST):
        with pytest.raises(TopicAuthorizationFailedError):
            read(auditor, topic)
    with producer(auditor) as client, pytest.raises(TopicAuthorizationFailedError):
        write(client, auditor, topics.AUDIT)  # the trail is the worker's to write


def test_no_role_joins_a_group_it_was_not_given(secure_broker: SecureBroker) -> None:
    operator = secure_broker.settings("operator")
    with pytest.raises(GroupAuthorizationFailedError):
        join(operator, topics.ALERTS, f"{APP_ID}-hits")  # the worker's group
    with pytest.raises(GroupAuthorizationFailedError):
        join(operator, topics.ALERTS, "operator-console")  # nor a group of its own


def test_no_role_creates_topics_not_even_the_worker(secure_broker: SecureBroker) -> None:
    for user in ("worker", "watchlist_admin"):
        admin = KafkaAdminClient(**secure_broker.settings(user).connection().client_kwargs())
        try:
            with pytest.raises(TopicAuthorizationFailedError):
                admin.create_topics([NewTopic(f"{APP_ID}-made-by-{user}", 1, 1)])
        finally:
            admin.close()


# ---- every role against every public topic, as streams/roles.py says ---------------------------------------
@pytest.mark.parametrize("name", list(ROLES))
def test_each_role_reads_and_writes_exactly_its_topics(secure_broker: SecureBroker, name: str) -> None:
    found = ROLES[name]
    settings = secure_broker.settings(name)
    wrong: list[str] = []
    with producer(settings) as client:
        for topic in topics.ALL:
            try:
                write(client, settings, topic)
                if topic not in found.writes:
                    wrong.append(f"wrote {topic}")
            except TopicAuthorizationFailedError:
                if topic in found.writes:
                    wrong.append(f"was refused writing {topic}")
    with consumer(settings) as client:
        for topic in topics.ALL:
            try:
                read_with(client, settings, topic, seconds=0.6)
                if topic not in found.reads:
                    wrong.append(f"read {topic}")
            except TopicAuthorizationFailedError:
                if topic in found.reads:
                    wrong.append(f"was refused reading {topic}")
    assert not wrong, f"{name}: {'; '.join(wrong)}"


# ---- connections the broker refuses -----------------------------------------------------------------------
def refusals(settings: Settings, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Why a client that cannot connect or authenticate is refused: kafka-python retries the bootstrap until
    its deadline (KafkaTimeoutError, asserted), logging each attempt's cause ("ErrorType: text"), returned."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kafka"), pytest.raises(KafkaTimeoutError):
        KafkaAdminClient(**settings.connection().client_kwargs(), bootstrap_timeout_ms=3000).close()
    causes = [
        record.getMessage().partition(" failed: ")[2]
        for record in caplog.records
        if "Bootstrap connection" in record.getMessage()
    ]
    # The last attempts can be cut short by the deadline itself ("Request timed out after 48 ms", "Timeout
    # during ApiVersions check"): not causes.
    while len(causes) > 1 and ("RequestTimedOutError" in causes[-1] or "KafkaTimeoutError" in causes[-1]):
        causes.pop()
    assert causes, f"no bootstrap failure logged: {[r.getMessage() for r in caplog.records]}"
    return causes


def test_a_plaintext_client_is_refused(secure_broker: SecureBroker, caplog: pytest.LogCaptureFixture) -> None:
    plain = Settings.from_env({**secure_broker.env, "KAFKA_BOOTSTRAP": secure_broker.bootstrap})
    causes = refusals(plain, caplog)
    # The broker answers a Kafka request with a TLS alert (read as an absurd frame length) and hangs up.
    assert all(c.startswith(("InvalidReceiveError", "KafkaConnectionError")) for c in causes), causes


def test_a_wrong_password_and_an_unknown_user_are_refused(
    secure_broker: SecureBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused by the broker's SCRAM check, which its log records. The client usually reads the refusal
    (SaslAuthenticationFailedError), but the broker hangs up right after answering, and on a loaded machine
    kafka-python can see the hang-up first and log only "socket disconnected": both are accepted from the
    client, and the broker's own "Failed authentication" lines prove which check refused it."""
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password\n")
    server_log = secure_broker.run_dir / "logs" / "server.log"
    for settings in (
        secure_broker.settings("operator", KAFKA_SASL_PASSWORD_FILE=str(wrong)),
        secure_broker.settings("operator", KAFKA_SASL_USERNAME="mallory"),
    ):
        before = failed_authentications(server_log)
        causes = refusals(settings, caplog)
        expected = ("SaslAuthenticationFailedError", "KafkaConnectionError: socket disconnected")
        assert all(any(e in c for e in expected) for c in causes), causes
        deadline = time.monotonic() + 10
        while failed_authentications(server_log) <= before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert failed_authentications(server_log) > before, "the broker logged no failed authentication"


def failed_authentications(server_log: Path) -> int:
    """How many SASL refusals the broker has logged (its network layer's INFO line for each)."""
    text = server_log.read_text(encoding="utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if "Failed authentication with" in line and "SASL" in line)


def test_a_client_with_an_untrusted_ca_is_refused(
    secure_broker: SecureBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other_ca = tmp_path / "other-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=not ours",
         "-keyout", str(tmp_path / "other-ca.key"), "-out", str(other_ca)],
        check=True, capture_output=True,
    )  # fmt: skip
    causes = refusals(secure_broker.settings("operator", KAFKA_SSL_CAFILE=str(other_ca)), caplog)
    assert all(c.startswith("KafkaConnectionError") and "CERTIFICATE_VERIFY_FAILED" in c for c in causes), (
        causes
    )


def test_a_tool_refused_a_topic_says_so_in_one_line(secure_broker: SecureBroker) -> None:
    """`citygate tail` as a role without the topic: exit 1 and one line naming the refusal, no traceback
    (the cluster hides the topic from the user's metadata as if it were missing; the tool asks which)."""
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "tail", "alerts.restricted", "--timeout", "1"],
        env=secure_broker.user_env("operator"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "TopicAuthorizationFailedError" in done.stderr and "as operator" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
