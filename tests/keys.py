"""The worker's own key for every tier (CITYGATE_WORKER_KEY_FILE, role incident_desk): a worker that checks
signatures signs the vehicles 110 calls name with it, and refuses to start without it."""

from __future__ import annotations

from pathlib import Path

from streams.signing import SigningKey

INCIDENT_DESK = SigningKey.generate("incident-desk")


def desk_key_file(directory: Path) -> str:
    """The incident desk's key file in `directory` (written once), as CITYGATE_WORKER_KEY_FILE takes it."""
    path = directory / "incident-desk.key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        INCIDENT_DESK.write(path)
    return str(path)
