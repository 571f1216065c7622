"""Settings for a citygate process, read from the environment when the app is built (never at import).

Every knob has a default that suits the local broker, so `make demo` needs no configuration; a deployment
sets the `KAFKA_BOOTSTRAP` / `CITYGATE_*` variables it needs. The README lists them all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from streams.connection import Connection, ConnectionConfigError, connection
from streams.domain.identity.signatures import SignaturePolicy
from streams.domain.matching.alerts import MatchPolicy
from streams.domain.matching.dedup import AlertGrouper
from streams.domain.matching.hits import HitLimits
from streams.domain.timebounds import TimeBounds


class SettingsError(ValueError):
    """A setting in the environment has a value citygate cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a worker or CLI command needs to know about its surroundings."""

    kafka_bootstrap: str = "127.0.0.1:9092"
    # How to reach it (streams/connection.py checks these and hands them to every client): the variables
    # are KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, … (the field names in upper case).
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = field(default="", repr=False)
    kafka_sasl_password_file: str = ""
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    app_id: str = "citygate"
    # Prepended to every public topic name: lets tests, or two cities, share one cluster.
    topic_prefix: str = ""
    web_port: int = 6066
    web_host: str = "127.0.0.1"
    data_dir: Path = field(default_factory=lambda: Path(".citygate-data"))
    log_level: str = "info"

    hits_partitions: int = 8
    hits_retention_days: float = 30.0
    # How long the other topics keep their records (docs/operations.md, "Retention", says why each default).
    reports_retention_days: float = 30.0
    alerts_retention_days: float = 90.0
    audit_retention_days: float = 400.0
    deadletter_retention_days: float = 14.0
    replication_factor: int = 1

    # Input hygiene: anything larger is dead-lettered without being parsed.
    max_message_bytes: int = 64 * 1024
    deadletter_keep_bytes: int = 16 * 1024
    max_clock_skew_s: float = 300.0

    # How long a consumer group waits for a silent worker before giving its partitions to the others (6 s is
    # the brokers' default minimum; docs/operations.md says why this value), and how often workers heartbeat.
    session_timeout_s: float = 6.0
    heartbeat_interval_s: float = 1.0
    # A worker asked to stop that has not finished within this long exits at once (below Kubernetes' default
    # 30 s grace period, so the last lines are its own, not a SIGKILL's).
    stop_grace_s: float = 20.0
    # /health says 503 once the watchlist replica has not heard from the cluster for this long.
    health_stale_s: float = 10.0

    # Watchlist matching: OCR-equivalent substitutions allowed, and the floor for alternative readings.
    max_substitutions: int = 2
    candidate_min_confidence: float = 0.3
    # Dedup: reads of one plate at one site within this gap are one alert, updated at most this often.
    dedup_window_s: float = 60.0
    dedup_update_every_s: float = 10.0

    # A new watchlist entry is checked against the hits of this many past hours (0 turns it off).
    retro_hours: float = 6.0
    # Hits that reach Kafka within this long after an entry is listed are the retro-match's, later ones live
    # matching's. The hits consumer holds a batch until the replica is known complete up to its hits'
    # arrival minus this, so it only has to cover the broker's and the workers' clocks disagreeing.
    listing_grace_s: float = 3.0
    # Processes a retro-match scan reads anpr.hits with, a share of the partitions each (0: the worker's own).
    retro_scan_processes: int = 2
    # Processes that help a worker load a large watchlist at start (streams/worker/watchlist/loader.py),
    # when the topic holds at least this many records: 0 none, -1 two where the worker may use 2 CPUs or more.
    replica_loaders: int = -1
    replica_loader_min_records: int = 100_000
    # The rings and points (GeoJSON); empty: the synthetic Yangzhou layout generated with `topology_seed`.
    topology: str = ""
    topology_seed: int = 2022
    # How often each worker's timer ticks the command side (lockdown escalation and expiry).
    tick_interval_s: float = 10.0
    # Our own agency: lookouts from any other agency alert on their first sighting inside the city.
    home_agency: str = "扬州市公安局"
    # The city's time zone (IANA name): what the console and listings show times in, and what a time typed
    # without an offset (`--since`, `--start`) means. Messages always carry their own offset.
    timezone: str = "Asia/Shanghai"
    # How long the command side remembers an alert an operator may still accept or reject.
    alert_book_days: float = 7.0

    # Signed records (issue 15.4, docs/operators.md "Signed records"): operator commands, watchlist changes
    # and registry records are refused unless signed by someone the registry knows, in a role that allows
    # them. false is for a development broker only (the worker logs a warning line at start).
    require_signatures: bool = True
    # The registry's root administrator, trusted from configuration: its id and its Ed25519 public key
    # (base64, or `@path` of a file holding it or of the root's key file). Required with signatures.
    registry_root_id: str = "root"
    registry_root_key: str = ""
    # The key file the CLI signs with (streams/signing.py: it names its operator id too).
    operator_key_file: str = ""
    # The worker's own key file (role incident_desk): the incident desk signs the vehicles 110 calls name
    # with it, so they are listed like any other entry. Required with signatures.
    worker_key_file: str = ""
    # A signature counts for this long after it was made (judged against the record's broker time); older is
    # `replayed`. The clock skew allowed ahead is max_clock_skew_s.
    signature_max_age_s: float = 300.0

    # Faust's Prometheus sensors (per-message counters: they cost some throughput; 0 turns them off).
    faust_sensors: int = 1

    # How long the producer keeps trying a batch before it fails (Faust's default: 20 min). The hits
    # consumer resends a failed output twice and then stops the worker, so a broker that cannot take alerts
    # shows within minutes instead of an hour.
    producer_timeout_s: float = 60.0

    # The sensor side's consumer: most hits per batch, and how often its offsets are committed.
    hits_batch_max: int = 1000
    hits_commit_interval_s: float = 1.0
    # How often Faust's agents (the watchlist audit, the command side) commit what they acked.
    commit_interval_s: float = 2.8

    # The HTTP gateway (`citygate gateway`, streams/gateway/): where it listens, TLS when both files are set,
    # the largest body it reads (413 beyond: a Plate Recognizer multipart post carries the image), the most
    # canonical hits per NDJSON post, the most records it holds unacknowledged (429 beyond), and how long a
    # post waits for the brokers' acknowledgement before it answers 503 (the camera then retries).
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8088
    gateway_tls_certfile: str = ""
    gateway_tls_keyfile: str = ""
    gateway_max_body_bytes: int = 4 * 1024 * 1024
    gateway_max_batch: int = 1000
    gateway_queue_max: int = 20000
    gateway_ack_timeout_s: float = 5.0
    # How long the gateway's producer waits for more records to share a produce request. 0: none (records
    # that arrive while a request is in flight share the next one anyway); bench/README.md has the figures.
    gateway_linger_ms: int = 0

    # The operators' web console (`citygate web`, streams/web/): where it listens (TLS when both files are
    # set), the folder of operators' passphrase-locked keys (`citygate operators web-key`), the operator ids
    # cleared for restricted alerts (honoured only when its Kafka role may read alerts.restricted), how long
    # a session lasts idle and at most, and how many hours of alerts a page starts with.
    console_web_host: str = "127.0.0.1"
    console_web_port: int = 8090
    console_web_tls_certfile: str = ""
    console_web_tls_keyfile: str = ""
    console_web_keys_dir: str = ""
    console_web_privileged: str = ""
    console_web_session_idle_s: float = 900.0
    console_web_session_max_s: float = 8 * 3600.0
    console_web_alert_hours: float = 24.0

    @property
    def hits_group(self) -> str:
        """The consumer group of the sensor side (streams/worker/sensor/consumer.py); Faust's group is the
        app id."""
        return f"{self.app_id}-hits"

    def hit_limits(self) -> HitLimits:
        return HitLimits(
            max_age=timedelta(days=self.hits_retention_days),
            max_skew=timedelta(seconds=self.max_clock_skew_s),
            max_substitutions=self.max_substitutions,
        )

    def time_bounds(self) -> TimeBounds:
        """How far each input's times may lie from when they reached Kafka (streams/domain/timebounds.py)."""
        return TimeBounds(max_skew=timedelta(seconds=self.max_clock_skew_s))

    def signature_policy(self) -> SignaturePolicy:
        return SignaturePolicy(
            max_age=timedelta(seconds=self.signature_max_age_s),
            max_skew=timedelta(seconds=self.max_clock_skew_s),
        )

    def match_policy(self) -> MatchPolicy:
        return MatchPolicy(
            self.max_substitutions,
            self.candidate_min_confidence,
            listing_grace=timedelta(seconds=self.listing_grace_s),
        )

    def alert_grouper(self) -> AlertGrouper:
        return AlertGrouper(
            window=timedelta(seconds=self.dedup_window_s),
            update_every=timedelta(seconds=self.dedup_update_every_s),
        )

    def console_web_privileged_ids(self) -> frozenset[str]:
        """CITYGATE_CONSOLE_WEB_PRIVILEGED as a set of operator ids."""
        return frozenset(p.strip() for p in self.console_web_privileged.split(",") if p.strip())

    def city_zone(self) -> ZoneInfo:
        """CITYGATE_TIMEZONE as a zone (checked when the settings are read)."""
        return ZoneInfo(self.timezone)

    def topic(self, name: str) -> str:
        """The physical Kafka topic name for a public topic name."""
        return f"{self.topic_prefix}{name}"

    def logical_topic(self, physical: str) -> str:
        """The public (unprefixed) name of a physical topic name: the inverse of `topic`."""
        prefix = self.topic_prefix
        return physical[len(prefix) :] if prefix and physical.startswith(prefix) else physical

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name = variable_name(f.name)
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(name, raw, f.type)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def connection(self) -> Connection:
        """How every client reaches the cluster (checked: `ConnectionConfigError` when it cannot)."""
        return connection(
            bootstrap=self.kafka_bootstrap,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
            sasl_password_file=self.kafka_sasl_password_file,
            ssl_cafile=self.kafka_ssl_cafile,
            ssl_certfile=self.kafka_ssl_certfile,
            ssl_keyfile=self.kafka_ssl_keyfile,
        )

    def check(self) -> None:
        """Refuse values that would only fail later and less clearly."""
        try:
            self.connection()
        except ConnectionConfigError as exc:
            raise SettingsError(str(exc)) from None
        positive = {
            "CITYGATE_HITS_PARTITIONS": self.hits_partitions,
            "CITYGATE_HITS_RETENTION_DAYS": self.hits_retention_days,
            "CITYGATE_REPORTS_RETENTION_DAYS": self.reports_retention_days,
            "CITYGATE_ALERTS_RETENTION_DAYS": self.alerts_retention_days,
            "CITYGATE_AUDIT_RETENTION_DAYS": self.audit_retention_days,
            "CITYGATE_DEADLETTER_RETENTION_DAYS": self.deadletter_retention_days,
            "CITYGATE_MAX_MESSAGE_BYTES": self.max_message_bytes,
            "CITYGATE_HITS_BATCH_MAX": self.hits_batch_max,
            "CITYGATE_HITS_COMMIT_INTERVAL_S": self.hits_commit_interval_s,
            "CITYGATE_COMMIT_INTERVAL_S": self.commit_interval_s,
            "CITYGATE_PRODUCER_TIMEOUT_S": self.producer_timeout_s,
            "CITYGATE_REPLICATION_FACTOR": self.replication_factor,
            "CITYGATE_LISTING_GRACE_S": self.listing_grace_s,
            "CITYGATE_HEARTBEAT_INTERVAL_S": self.heartbeat_interval_s,
            "CITYGATE_HEALTH_STALE_S": self.health_stale_s,
            "CITYGATE_STOP_GRACE_S": self.stop_grace_s,
            "CITYGATE_SIGNATURE_MAX_AGE_S": self.signature_max_age_s,
            "CITYGATE_GATEWAY_MAX_BODY_BYTES": self.gateway_max_body_bytes,
            "CITYGATE_GATEWAY_MAX_BATCH": self.gateway_max_batch,
            "CITYGATE_GATEWAY_QUEUE_MAX": self.gateway_queue_max,
            "CITYGATE_GATEWAY_ACK_TIMEOUT_S": self.gateway_ack_timeout_s,
            "CITYGATE_CONSOLE_WEB_SESSION_IDLE_S": self.console_web_session_idle_s,
            "CITYGATE_CONSOLE_WEB_SESSION_MAX_S": self.console_web_session_max_s,
            "CITYGATE_CONSOLE_WEB_ALERT_HOURS": self.console_web_alert_hours,
        }
        for name, value in positive.items():
            if value <= 0:
                raise SettingsError(f"{name} must be positive, got {value}")
        if not 0 <= self.max_substitutions <= 4:
            raise SettingsError(f"CITYGATE_MAX_SUBSTITUTIONS must be 0..4, got {self.max_substitutions}")
        if self.heartbeat_interval_s * 3 > self.session_timeout_s:
            raise SettingsError(
                f"CITYGATE_HEARTBEAT_INTERVAL_S ({self.heartbeat_interval_s}) must be at most a third of "
                f"CITYGATE_SESSION_TIMEOUT_S ({self.session_timeout_s}): a busy moment would evict a worker"
            )
        try:
            self.city_zone()
        except (ZoneInfoNotFoundError, ValueError, OSError):  # a path, a malformed key, a folder (Asia)
            raise SettingsError(
                f"CITYGATE_TIMEZONE={self.timezone!r} is not a time zone this system knows: use an IANA "
                "name such as Asia/Shanghai (a system without a zone database needs `pip install tzdata`)"
            ) from None
        for name, port in (
            ("CITYGATE_WEB_PORT", self.web_port),
            ("CITYGATE_GATEWAY_PORT", self.gateway_port),
            ("CITYGATE_CONSOLE_WEB_PORT", self.console_web_port),
        ):
            if not 0 < port < 65536:
                raise SettingsError(f"{name} must be a TCP port, got {port}")
        if bool(self.gateway_tls_certfile) != bool(self.gateway_tls_keyfile):
            raise SettingsError(
                "CITYGATE_GATEWAY_TLS_CERTFILE and CITYGATE_GATEWAY_TLS_KEYFILE go together: set both for "
                "HTTPS, neither for plain HTTP behind a TLS-terminating load balancer"
            )
        if bool(self.console_web_tls_certfile) != bool(self.console_web_tls_keyfile):
            raise SettingsError(
                "CITYGATE_CONSOLE_WEB_TLS_CERTFILE and CITYGATE_CONSOLE_WEB_TLS_KEYFILE go together: set "
                "both for HTTPS, neither for plain HTTP on loopback or behind a TLS-terminating proxy"
            )


def variable_name(field_name: str) -> str:
    """The environment variable of a setting: KAFKA_* for how to reach the cluster, CITYGATE_* else."""
    return field_name.upper() if field_name.startswith("kafka_") else f"CITYGATE_{field_name.upper()}"


def _convert(name: str, raw: str, annotation: object) -> object:
    kind = str(annotation)
    if kind == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name}={raw!r} must be true or false")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a valid {kind}") from None
    return raw
