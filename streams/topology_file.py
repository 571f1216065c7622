"""Where a worker's topology comes from: the deployment's GeoJSON file, or the synthetic default.

Every command that needs the rings and points reads a file through `read_topology_file`, so a file that
cannot be used (missing, not JSON, not a FeatureCollection, rings or points wrong) is the same one-line
`TopologyFileError` everywhere, raised before the command connects to anything.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from streams.domain.geography.topology import Topology, TopologyError, load
from streams.settings import Settings

log = logging.getLogger(__name__)


class TopologyFileError(ValueError):
    """A topology file that cannot be used. `problems` lists every one found (what `citygate topology
    check` prints); the message is one line: where the file was named, the first problem, and what to run."""

    def __init__(self, path: str, problems: Sequence[str], *, named_by: str = "") -> None:
        self.path = path
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        where = f"{named_by}={path}" if named_by else f"topology file {path}"
        super().__init__(f"{where}: {problems[0]}{more}; check it with `citygate topology check {path}`")


def read_topology_file(path: str | Path, *, named_by: str = "") -> Topology:
    """The topology in the GeoJSON file at `path`; `TopologyFileError` when it cannot be used. `named_by`
    says where the path came from (a variable), for the message."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TopologyFileError(name, ["no such file"], named_by=named_by) from None
    except IsADirectoryError:
        raise TopologyFileError(name, ["a directory, not a file"], named_by=named_by) from None
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte {exc.start})"
        raise TopologyFileError(name, [problem], named_by=named_by) from None
    except OSError as exc:
        raise TopologyFileError(name, [exc.strerror or type(exc).__name__], named_by=named_by) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        raise TopologyFileError(name, [problem], named_by=named_by) from None
    if not isinstance(document, dict):
        problem = f"not a GeoJSON FeatureCollection (a JSON {type(document).__name__})"
        raise TopologyFileError(name, [problem], named_by=named_by)
    try:
        return load(document)
    except TopologyError as exc:
        raise TopologyFileError(name, exc.problems, named_by=named_by) from None


def load_topology(settings: Settings) -> Topology:
    """The file named by CITYGATE_TOPOLOGY, else the synthetic Yangzhou layout (deterministic by seed)."""
    if settings.topology:
        return read_topology_file(settings.topology, named_by="CITYGATE_TOPOLOGY")
    from streams.domain.geography.layout import generate_topology

    log.warning(
        "no CITYGATE_TOPOLOGY set: using the synthetic Yangzhou layout (seed %d)", settings.topology_seed
    )
    return load(generate_topology(settings.topology_seed))
