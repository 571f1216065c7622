"""Who the benchmark's records are signed by: its workers check signatures as a deployment's do, so the
watchlist they match against is signed by a registered watchlist administrator, and the cost of the checks
(on load, and at an entry's first match) is in every figure. The keys live for one bench process."""

from __future__ import annotations

from pathlib import Path

import orjson

from streams import topics
from streams.cli.operators import registry_value
from streams.codecs.signed import signed_message
from streams.settings import Settings
from streams.signing import SigningKey
from streams.tools.kafka_io import produce

ROOT = SigningKey.generate("bench-root")
OFFICER = SigningKey.generate("bench-officer")  # watchlist_admin: signs the workload's entries
DESK = SigningKey.generate("bench-incident-desk")  # the workers' own key (incident_desk)


def register(settings: Settings) -> None:
    """Register the officer and the workers' key on the scenario's registry topic (signed by the root)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    produce(
        settings,
        topics.REGISTRY,
        [
            (p.person_id.encode(), registry_value(p.person_id, p.public_key_b64, [role], "active", ROOT, now))
            for p, role in ((OFFICER, "watchlist_admin"), (DESK, "incident_desk"))
        ],
    )


def desk_key_file(settings: Settings) -> str:
    """The workers' key file in the scenario's data dir (CITYGATE_WORKER_KEY_FILE), written once."""
    path = Path(settings.data_dir) / "bench-incident-desk.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        DESK.write(path)
    return str(path)


def signed_entry(entry_id: str, value: dict[str, object]) -> bytes:
    """A watchlist entry's record value, signed by the officer now (a signature counts for minutes after)."""
    signature = OFFICER.sign(topic=topics.WATCHLIST, key=entry_id, value=value)
    return orjson.dumps(signed_message(value, signature))
