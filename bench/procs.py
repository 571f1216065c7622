"""Child processes under measurement: citygate workers and the baselines, with their CPU time and memory.

Why /proc and not psutil: psutil is not a dependency, and /proc/<pid>/stat and /status give exactly what is
needed (user+system CPU ticks, the peak resident set VmHWM) for a process the harness started itself.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.cluster import BenchError

ROOT = Path(__file__).resolve().parents[1]
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (its own, not its children's)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / _TICKS


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size so far (VmHWM), in MiB."""
    return memory_mb(pid)[1]


def memory_mb(pid: int) -> tuple[float, float]:
    """The process's resident set now (VmRSS) and its peak so far (VmHWM), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = []
    for field_name in ("VmRSS", "VmHWM"):
        match = re.search(rf"^{field_name}:\s+(\d+) kB", status, re.MULTILINE)
        found.append(int(match.group(1)) / 1024 if match else float("nan"))
    return found[0], found[1]


class MemorySampler(threading.Thread):
    """Samples a process's VmRSS and VmHWM every `every` seconds until stopped or the process is gone.

    Why a thread: the resident set after loading and its peak are wanted while the harness is busy
    elsewhere (polling /health, watching the group); VmHWM alone would give the peak but not the shape."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(name=f"memory-{pid}", daemon=True)
        self.pid = pid
        self.every = every
        self.started_at = time.monotonic()
        self.samples: list[tuple[float, float]] = []  # (seconds since start, VmRSS MiB)
        self.peak_mb = 0.0  # the last VmHWM read: the peak over the process's life so far
        self.max_rss_mb = 0.0
        self._stop_event = threading.Event()

    def sample(self) -> float | None:
        """Take one sample now; the VmRSS, or None when the process is gone."""
        try:
            rss, hwm = memory_mb(self.pid)
        except OSError:
            return None
        if math.isnan(rss):  # an exiting process has a status file without its memory lines
            return None
        self.samples.append((round(time.monotonic() - self.started_at, 2), round(rss, 1)))
        self.peak_mb = max(self.peak_mb, hwm)
        self.max_rss_mb = max(self.max_rss_mb, rss)
        return rss

    def run(self) -> None:
        while not self._stop_event.is_set():
            if self.sample() is None:
                return
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=5)


@dataclass
class Child:
    """A measured subprocess with its log file; `stop` is safe to call in any state."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def spawn(cls, name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path) -> Child:
        log_path = log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                list(argv), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )
        return cls(name, process, log_path)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def assert_alive(self) -> None:
        if not self.alive():
            raise BenchError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail(40)}")

    def log_tail(self, lines: int) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`: the child must be gone when this returns."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"bench: {self.name} ignored SIGTERM for {timeout:.0f}s; killing it")
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Worker(Child):
    """`citygate worker` (python -m streams.cli worker), exactly as it is deployed."""

    web_port: int = 0

    @classmethod
    def start(
        cls,
        name: str,
        env: dict[str, str],
        log_dir: Path,
        loglevel: str = "info",
        profile: Path | None = None,
    ) -> Worker:
        """Start a worker; with `profile`, under cProfile, which writes that file when the worker exits."""
        port = free_port()
        profiler = ["-m", "cProfile", "-o", str(profile)] if profile is not None else []
        child = Child.spawn(
            name,
            [sys.executable, *profiler, "-m", "streams.cli", "worker", "-l", loglevel],
            {**os.environ, **env, "CITYGATE_WEB_PORT": str(port)},
            log_dir,
        )
        return cls(child.name, child.process, child.log_path, port)

    def health(self) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/health", timeout=2) as response:  # noqa: S310 - localhost
                return int(response.status)
        except OSError as exc:
            return getattr(exc, "code", None)

    def health_body(self) -> dict[str, object] | None:
        """The JSON body of GET /health (served with 503 while the replica is loading), or None."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/health", timeout=2) as response:  # noqa: S310 - localhost
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
        except OSError:
            return None
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def wait_healthy(self, timeout: float = 90.0) -> float:
        """Block until GET /health is 200 (watchlist replica complete); returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            self.assert_alive()
            if self.health() == 200:
                return time.monotonic() - started
            time.sleep(0.2)
        raise BenchError(f"{self.name} not healthy after {timeout:.0f}s:\n{self.log_tail(40)}")

    def metrics_text(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/metrics", timeout=5) as response:  # noqa: S310 - localhost
            return response.read().decode()

    def events_valid(self) -> float | None:
        """citygate_events_total{source="anpr.hits",outcome="valid"} from /metrics (None if unreachable)."""
        try:
            text = self.metrics_text()
        except OSError:
            return None
        return metric_sum(text, "citygate_events_total", {"source": "anpr.hits", "outcome": "valid"})


def metric_sum(text: str, name: str, labels: dict[str, str]) -> float:
    """Sum of the samples of `name` whose labels include `labels`, from a Prometheus text exposition."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if not (head == name or head.startswith(name + "{")):
            continue
        if all(f'{key}="{val}"' in head for key, val in labels.items()):
            total += float(value)
    return total


def stop_all(children: Sequence[Child]) -> None:
    """Stop every child, even if stopping one of them fails."""
    for child in children:
        try:
            child.stop()
        except Exception as exc:  # noqa: BLE001 - keep stopping the others
            print(f"bench: stopping {child.name} failed: {exc}")
