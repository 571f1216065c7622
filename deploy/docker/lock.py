#!/usr/bin/env python3
"""Writes deploy/docker/requirements.lock: citygate's runtime dependencies as pip resolves them from
pyproject.toml, each pinned to one version and the sha256 of the file pip chose (a linux x86_64 CPython
3.11 wheel, the image's platform), so an image build installs exactly what was tested.

    .venv/bin/python deploy/docker/lock.py      # asks the package index: run it when dependencies change
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parents[2]
LOCK = ROOT / "deploy" / "docker" / "requirements.lock"
# The build backend the image builds citygate with (pyproject.toml requires setuptools>=77).
BUILD = ("setuptools", "80.9.0", "062d34222ad13e0cc312a4c02d73f059e86a4acbfbdea8f8f76b28c99f306922")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(  # noqa: S603 - this interpreter's pip, fixed arguments
            [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
             "--report", str(report), str(ROOT)],
            check=True,
        )  # fmt: skip
        resolved = json.loads(report.read_text(encoding="utf-8"))["install"]
    lines = [
        "# citygate's runtime dependencies, exact and hashed, for the container image (CPython 3.11, linux",
        "# x86_64). Made by deploy/docker/lock.py (pip's resolver over pyproject.toml): never edit by hand.",
    ]
    pins = [(item["metadata"]["name"], item["metadata"]["version"],
             item["download_info"]["archive_info"]["hashes"]["sha256"])
            for item in resolved if item["metadata"]["name"] != "citygate"]  # fmt: skip
    for name, version, sha256 in sorted([*pins, BUILD], key=lambda pin: pin[0].lower()):
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{sha256}")
    LOCK.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
