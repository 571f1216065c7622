"""`citygate gateway` as a separate OS process, and an HTTP client that speaks as a camera's agent would.

Shared by the integration tier (tests/integration/test_gateway.py) and the fault tier (the broker stopped
under a gateway). Cameras and keys are registered with the CLI's own tools, as an administrator would.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.domain.gateway.cameras import Camera
from streams.settings import Settings
from streams.tools.gateway_admin import add_key, write_cameras
from tests.ports import free_port

# Checkpoints of the synthetic topology (what the gateway checks hits against without CITYGATE_TOPOLOGY).
OPENALPR_CAMERA = Camera("openalpr", "1629375201", "EC-0001", 2, "inbound", "yz-east", "agent-7f3c")
PLATE_RECOGNIZER_CAMERA = Camera("platerecognizer", "gate-east-2", "EC-0002", 1, "outbound")


OWN_KEY = "<this gateway's key>"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class GatewayProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int
    key: str

    @classmethod
    def start(
        cls, settings: Settings, env: dict[str, str], workdir: Path, *, wait: bool = True
    ) -> GatewayProcess:
        write_cameras(settings, [OPENALPR_CAMERA, PLATE_RECOGNIZER_CAMERA])
        _, key = add_key(settings, "test-agents")
        port = free_port()
        log_path = workdir / f"gateway-{port}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "gateway"],
            env={**env, "CITYGATE_GATEWAY_PORT": str(port), "CITYGATE_GATEWAY_ACK_TIMEOUT_S": "3"},
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parents[1],
        )
        gateway = cls(process, log_path, port, key)
        if wait:
            gateway.wait_for(lambda: gateway.get("/health").status == 200 and gateway.cameras() >= 2)
        return gateway

    def cameras(self) -> int:
        return int(self.get("/health").body.get("cameras", 0))

    def wait_for(self, check: Any, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gateway exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if check():
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"gateway not ready after {timeout} s:\n{self.log_tail()}")

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        request = urllib.request.Request(  # noqa: S310 (a local test server)
            f"http://127.0.0.1:{self.port}{path}", data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, dict(error.headers)
        decoded = (
            orjson.loads(raw) if raw and got.get("Content-Type", "").startswith("application/json") else {}
        )
        return Answer(status, decoded if isinstance(decoded, dict) else {}, got)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(
        self, path: str, value: Any, *, key: str | None = OWN_KEY, content_type: str = "application/json"
    ) -> Answer:
        """POST `value` (JSON unless bytes) with this gateway's key, another `key`, or none (None)."""
        body = value if isinstance(value, bytes) else orjson.dumps(value)
        headers = {"Content-Type": content_type}
        presented = self.key if key is OWN_KEY else key
        if presented is not None:
            headers["Authorization"] = f"Bearer {presented}"
        return self.request("POST", path, body, headers)

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:  # noqa: S310
            return response.read().decode()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                raise AssertionError(f"gateway ignored SIGTERM:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def multipart(fields: dict[str, tuple[str | None, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body: name → (file name or None, content type, bytes); and its Content-Type."""
    boundary = "citygate-test-boundary-7e1f"
    parts: list[bytes] = []
    for name, (filename, content_type, data) in fields.items():
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n"
        parts.append(head.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
