"""Prometheus and Grafana against a real worker: every dashboard query and every recording rule has data.

A real Prometheus (Debian's package, installed here when missing) scrapes a real worker every second and
loads deploy/prometheus/rules.yml, while a watchlist, hits (matching, not matching, bad, and one camera site
that went quiet) and two "close the city gates" lockdowns go through the broker. Then every panel query of
the generated dashboard and every recording rule must return at least one series with a finite value,
through Prometheus' HTTP API. `promtool` checks and unit-tests the rules.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streams import topics
from streams.settings import Settings
from streams.tools.kafka_io import broker_lag
from streams.worker.health import CitygateHealth
from streams.worker.metrics import Metrics
from streams.worker.sensor.consumer import OffsetLedger
from tests.integration.conftest import Cluster, WorkerProcess, free_port
from tests.integration.debian import ensure_packages
from tests.integration.test_drill import LOTUS_POND_WEST_GATE, report
from tests.integration.test_drill import drill_call as call
from tests.unit.fixtures import entry_message, hit_message

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/rules.yml"
RULES_TEST = ROOT / "deploy/prometheus/rules_test.yml"
CONFIG = ROOT / "deploy/prometheus/prometheus.yml"
DASHBOARD = ROOT / "deploy/grafana/citygate.json"
GENERATOR = ROOT / "deploy/grafana/generate.py"

PROMETHEUS = Path("/usr/bin/prometheus")
PROMTOOL = Path("/usr/bin/promtool")
APT_TIMEOUT_S = 600
# Grafana's own variables, as the test evaluates them: windows that span the whole test.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "30m", "$__interval": "15s"}


# ------------------------------------------------------------------------------------------ Prometheus


def ensure_prometheus() -> None:
    """Install Debian's `prometheus` package unless its binaries are there."""
    ensure_packages(["prometheus"], [PROMETHEUS, PROMTOOL], APT_TIMEOUT_S)


@dataclass
class PrometheusServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def api(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own local server
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # a bad query: 400 with an error body
            body = json.loads(exc.read())
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("/api/v1/query", query=expr)
        assert data["resultType"] == "vector", (expr, data["resultType"])
        return list(data["result"])

    def wait_until(
        self, what: str, check: Callable[[], bool], timeout: float = 60.0, seen: Callable[[], object] = str
    ) -> None:
        """Poll `check` until it holds; on timeout, say what was waited for and what `seen` shows."""
        deadline = time.monotonic() + timeout
        while not check():
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; seen: {seen()}\n{self.log_tail()}"
                )
            time.sleep(0.5)

    def has_value(self, expr: str, predicate: Callable[[float], bool] = math.isfinite) -> bool:
        return any(predicate(float(s["value"][1])) for s in self.query(expr))

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def run_prometheus(workdir: Path, targets: Sequence[str]) -> Iterator[PrometheusServer]:
    """A Prometheus of our own on a free port: scrapes `targets` every second and evaluates rules.yml."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = {  # JSON is YAML
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [{"job_name": "citygate", "static_configs": [{"targets": list(targets)}]}],
    }
    config_path = workdir / "prometheus.yml"
    config_path.write_text(json.dumps(config, indent=2))
    port = free_port()
    log_path = workdir / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={config_path}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = PrometheusServer(process, port, log_path)
    try:
        server.wait_until("prometheus to be ready", lambda: _ready(port), timeout=60)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as response:  # noqa: S310
            return int(response.status) == 200
    except OSError:
        return False


# ----------------------------------------------------------------------------------------- dashboard


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target of every panel of the committed dashboard, as Prometheus gets
    it once Grafana has substituted its variables."""
    dashboard = json.loads(DASHBOARD.read_text())
    queries = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", ()):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            assert "$" not in expr, f"{panel['title']}: unknown variable in {expr}"
            queries.append((panel["title"], expr))
    return queries


def recording_rules() -> list[str]:
    return re.findall(r"^\s*- record: (\S+)$", RULES.read_text(), re.MULTILINE)


def exposed_metric_names() -> set[str]:
    """Every sample name a worker exposes: streams/worker/metrics.py plus streams/worker/health.py."""
    metrics = Metrics()
    ledger = OffsetLedger()  # no consumer: the families, without samples
    CitygateHealth(
        lambda: None, Settings(), metrics.registry, hits_lags=ledger.lags, hits_partitions=ledger.partitions
    )
    families = list(metrics.registry.collect())
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}
    names = set()
    for family in families:
        names.add(family.name)
        names.update(family.name + suffix for suffix in suffixes.get(family.type, ()))
    return names


def test_the_committed_dashboard_is_the_generators_output() -> None:
    generated = subprocess.run(
        [sys.executable, str(GENERATOR)], capture_output=True, check=True, timeout=60
    ).stdout
    assert generated == DASHBOARD.read_bytes(), (
        "deploy/grafana/citygate.json is stale: "
        "run `python deploy/grafana/generate.py > deploy/grafana/citygate.json`"
    )


def test_dashboard_and_rules_use_only_metrics_a_worker_exposes() -> None:
    exposed = exposed_metric_names()
    rules_text = RULES.read_text()
    used = {name for _, expr in dashboard_queries() for name in re.findall(r"\bcitygate_\w+", expr)}
    used |= set(re.findall(r"\bcitygate_\w+", rules_text))
    assert used and used <= exposed, sorted(used - exposed)
    recorded = set(recording_rules())
    assert set(re.findall(r"\bcitygate:[\w:]+", rules_text)) <= recorded  # alerts use defined rules only
    titles = [title for title, _ in dashboard_queries()]
    assert len(titles) >= 15


def test_rules_pass_promtool() -> None:
    ensure_prometheus()
    for command in (
        [str(PROMTOOL), "check", "rules", str(RULES)],
        [str(PROMTOOL), "check", "config", str(CONFIG)],
        [str(PROMTOOL), "test", "rules", str(RULES_TEST)],
    ):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
        assert done.returncode == 0, f"{' '.join(command)} → {done.returncode}:\n{done.stdout}{done.stderr}"


# ------------------------------------------------------------------------------------------- worker


def start_worker(cluster: Cluster) -> WorkerProcess:
    return cluster.start_worker()


# ------------------------------------------------------------------------------------------ scenario


def hit(hit_id: str, checkpoint: str, plate: str, seconds_ago: float) -> dict[str, Any]:
    at = (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()
    return hit_message(hit_id=hit_id, checkpoint_id=checkpoint, plate_text=plate, event_time=at)


def lockdown_events(cluster: Cluster, until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    return cluster.read(topics.LOCKDOWNS, until=until)


def count(events: list[dict[str, Any]], kind: str) -> int:
    return sum(1 for e in events if e["type"] == kind)


def close_the_gates(cluster: Cluster, n: int, seal_core: bool) -> dict[str, Any]:
    """The n-th lockdown: a 110 call raises it; units staff every core point (sealing the core ring) and
    two urban points."""
    cluster.send(topics.CALLS, call(f"110-prom-{n}"), key=f"110-prom-{n}")
    cluster.flush()
    events = lockdown_events(cluster, lambda m: count(m, "raised") >= n)
    raised = [e for e in events if e["type"] == "raised"][n - 1]
    rings = {r["ring"]: r["required"] for r in raised["plan"]["rings"]}
    points = [*(rings["core"] if seal_core else ()), *rings["urban"][:2]]
    for i, point in enumerate(points):
        unit = f"U-{n}-{i}"
        cluster.send(
            topics.PATROL_REPORTS, report(f"r-{n}-{i}", unit, "arrived_at_point", point_id=point), key=unit
        )
    cluster.flush()
    lockdown_events(
        cluster, lambda m: count(m, "ring_sealed") >= n and count(m, "point_staffed") >= len(points)
    )
    return raised


def send_a_unit(cluster: Cluster, incident_id: str) -> None:
    """A registered unit dispatched to the incident, radioing from the scene: a dispatch delay and a
    response time observed."""
    unit = {
        "schema_version": 1,
        "unit_id": "U-PROM",
        "kind": "motor_patrol",
        "home_workstation": "WS-03",
        "capabilities": ["armed", "vehicle"],
        "status": "active",
    }
    cluster.send(topics.UNITS, unit, key="U-PROM")
    away = {"lon": LOTUS_POND_WEST_GATE["lon"] + 0.01, "lat": LOTUS_POND_WEST_GATE["lat"]}
    cluster.send(topics.PATROL_REPORTS, report("pos-prom", "U-PROM", "position", place=away), key="U-PROM")
    cluster.flush()
    cluster.read(topics.UNITS_STATE, until=lambda m: any(s["unit_id"] == "U-PROM" for s in m))
    order = {
        "schema_version": 1,
        "command_id": "cmd-prom-dispatch",
        "command": "dispatch",
        "target_id": incident_id,
        "operator_id": "op-7",
        "issued_at": datetime.now(UTC).isoformat(),
        "units": ["U-PROM"],
    }
    cluster.send(topics.OPERATOR_COMMANDS, order, key=incident_id)
    cluster.flush()
    cluster.read(topics.DISPATCHES, until=lambda m: len(m) >= 1)
    scene = {"lon": LOTUS_POND_WEST_GATE["lon"], "lat": LOTUS_POND_WEST_GATE["lat"]}
    cluster.send(topics.PATROL_REPORTS, report("arr-prom", "U-PROM", "position", place=scene), key="U-PROM")
    cluster.flush()
    cluster.read(topics.DISPATCHES, until=lambda m: any(d["event"] == "arrived" for d in m))


def test_prometheus_has_data_for_every_panel_and_recording_rule(cluster: Cluster) -> None:
    ensure_prometheus()
    watchlist = {"WL-PROM-STOLEN": ("苏K12345", "stolen"), "WL-PROM-WANTED": ("苏A9B876", "wanted")}
    now = datetime.now(UTC)
    for entry_id, (plate, category) in watchlist.items():
        entry = entry_message(
            entry_id=entry_id,
            plate=plate,
            category=category,
            valid_from=(now - timedelta(days=1)).isoformat(),
            valid_until=(now + timedelta(days=1)).isoformat(),
        )
        cluster.send(topics.WATCHLIST, entry, key=entry_id)
    cluster.flush()
    worker = start_worker(cluster)

    with run_prometheus(cluster.workdir / "prometheus", [f"127.0.0.1:{worker.web_port}"]) as prometheus:
        # Two scrapes before any input, so every counter and histogram starts from a sample at zero.
        prometheus.wait_until(
            "two scrapes of the worker",
            lambda: prometheus.has_value('count_over_time(up{job="citygate"}[1m]) >= 2 and up == 1'),
        )

        # Close the city gates twice: one sealed core ring is one sample; time to seal needs two.
        first = close_the_gates(cluster, 1, seal_core=True)
        prometheus.wait_until(
            "the first time to seal scraped",
            lambda: prometheus.has_value('citygate_time_to_seal_seconds_count{ring="core"}'),
        )
        for i in range(5):
            captured = report(
                f"cap-{i}", "U-1-0", "suspect_captured", incident_id=first["incident_id"], count=1
            )
            cluster.send(topics.PATROL_REPORTS, captured, key="U-1-0")
        cluster.flush()
        lockdown_events(cluster, lambda m: count(m, "lifted") >= 1)
        second = close_the_gates(cluster, 2, seal_core=True)
        cluster.send(topics.CALLS, call("110-prom-bad", category="alien_landing"), key="110-prom-bad")
        send_a_unit(cluster, str(second["incident_id"]))

        # Hits, in two rounds with a scrape between them, as a steady feed would be: a labelled counter's
        # first sample already holds its first increments, which rate() cannot see. Nine live sites (one
        # camera went quiet 28 min ago), two watchlist matches and an OCR-equivalent one, and bad input
        # (5 of 51 hits, far over the 1% dead-letter line).
        for minutes in (30, 29, 28):
            quiet = hit(f"quiet-{minutes}", "YZ-EC-0999", "苏K00999", minutes * 60)
            cluster.send(topics.HITS, quiet, key="YZ-EC-0999")
        for n in range(8):
            site = f"YZ-EC-{n:04d}"
            cluster.send(topics.HITS, hit(f"live-{n}", site, f"苏K{n:05d}", 11), key=site)
        cluster.send(topics.HITS, hit("match-1", "YZ-EC-0001", "苏K·12345", 1), key="YZ-EC-0001")
        cluster.send(topics.HITS, b"{broken", key="YZ-EC-0002")
        cluster.flush()
        prometheus.wait_until(
            "the first round of hits scraped",
            lambda: prometheus.has_value('citygate_events_total{source="anpr.hits",outcome="deadletter"}'),
        )
        for n in range(8, 40):
            site = f"YZ-EC-{n % 8:04d}"
            cluster.send(topics.HITS, hit(f"live-{n}", site, f"苏K{n:05d}", 1), key=site)
        cluster.send(topics.HITS, hit("match-2", "YZ-EC-0002", "苏A9B876", 1), key="YZ-EC-0002")
        cluster.send(topics.HITS, hit("match-ocr", "YZ-EC-0003", "苏K1Z345", 1), key="YZ-EC-0003")
        for n, bad in enumerate([b"[1, 2]", b"\xff\xfe"]):
            cluster.send(topics.HITS, bad, key=f"YZ-EC-{n:04d}")
        cluster.send(topics.HITS, hit("bad-plate", "YZ-EC-0004", "ABC-123", 1), key="YZ-EC-0004")
        cluster.send(topics.HITS, hit("bad-key", "YZ-EC-0005", "苏K00005", 1), key="YZ-EC-0006")
        cluster.flush()
        alerts = cluster.read(topics.ALERTS, until=lambda m: len({a["alert_id"] for a in m}) >= 3)
        assert {a["match"]["match_type"] for a in alerts} >= {"exact", "ocr_equivalent"}  # type: ignore[index]
        prometheus.wait_until(
            "the second round of hits scraped",
            lambda: prometheus.has_value('citygate_watchlist_matches_total{match_type="ocr_equivalent"}'),
        )

        queries = [*dashboard_queries(), *(("recording rule", name) for name in recording_rules())]
        missing: dict[str, list[dict[str, Any]]] = {}

        def every_query_has_data() -> bool:
            missing.clear()
            for title, expr in queries:
                result = prometheus.query(expr)
                if not any(math.isfinite(float(s["value"][1])) for s in result):
                    missing[f"{title}: {expr}"] = result
            return not missing

        try:
            prometheus.wait_until("data for every query", every_query_has_data, timeout=90)
        except AssertionError:
            worker_lines = worker.log_tail(40)
            detail = "\n".join(f"  {q} → {r}" for q, r in missing.items())
            raise AssertionError(f"no data for {len(missing)} queries:\n{detail}\n{worker_lines}") from None

        for title, expr in queries:  # shown with `pytest -s`
            values = [f"{s['metric']} {float(s['value'][1]):.4g}" for s in prometheus.query(expr)]
            print(f"{title}: {expr}\n    " + "\n    ".join(values))

        # The rules loaded and evaluate without errors; the alerts the scenario calls for are on their way.
        groups = prometheus.api("/api/v1/rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        assert [r["name"] for r in rules if r["type"] == "recording"] == recording_rules()
        assert all(r["health"] == "ok" for r in rules), [(r["name"], r.get("lastError")) for r in rules]
        expected = {
            ("CitygateCheckpointsSilent", ""),
            ("CitygateDeadLettersHigh", "anpr.hits"),
            ("CitygateRingNotSealed", "urban"),
            ("CitygateRingNotSealed", "city"),
        }

        def pending_alerts() -> set[tuple[str, str]]:
            result = prometheus.query('ALERTS{alertstate=~"pending|firing"}')
            labels = [s["metric"] for s in result]
            return {(m["alertname"], m.get("source", m.get("ring", ""))) for m in labels}

        prometheus.wait_until(
            f"alerts {sorted(expected)} pending", lambda: expected <= pending_alerts(), seen=pending_alerts
        )
        assert ("CitygateRingNotSealed", "core") not in pending_alerts()  # sealed
        assert prometheus.query('citygate_checkpoint_silent_seconds{checkpoint="YZ-EC-0999"} > 1600')

        # Lag: one series per partition of anpr.hits, back to 0 once the worker has committed, as the
        # broker sees it too.
        hits_lag = 'citygate_consumer_lag{topic="anpr.hits"}'
        prometheus.wait_until(
            "consumer lag back to 0 on every partition",
            lambda: len(prometheus.query(hits_lag)) == 4 and not prometheus.query(f"{hits_lag} > 0"),
        )
        assert set(broker_lag(cluster.settings, cluster.settings.hits_group, topics.HITS).values()) == {0}
        worker.assert_alive()
