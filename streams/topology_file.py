"""Where a worker's topology comes from: the deployment's GeoJSON file, or the synthetic default."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from streams.domain.geography.topology import Topology, load
from streams.settings import Settings

log = logging.getLogger(__name__)


def load_topology(settings: Settings) -> Topology:
    """The file named by CITYGATE_TOPOLOGY, else the synthetic Yangzhou layout (deterministic by seed)."""
    if settings.topology:
        return load(json.loads(Path(settings.topology).read_text(encoding="utf-8")))
    from streams.domain.geography.layout import generate_topology

    log.warning(
        "no CITYGATE_TOPOLOGY set: using the synthetic Yangzhou layout (seed %d)", settings.topology_seed
    )
    return load(generate_topology(settings.topology_seed))
