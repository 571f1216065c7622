"""Reading a deployment's topology file: every way a file can be unusable is one `TopologyFileError` whose
message is one line naming the file, the first problem and the command that lists them all."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.domain.geography.layout import generate_topology
from streams.settings import Settings
from streams.topology_file import TopologyFileError, load_topology, read_topology_file


def _write(tmp_path: Path, content: bytes, name: str = "rings.geojson") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"type": "FeatureCollection", "features": [', "not JSON (Expecting value at line 1 column 44)"),
        (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
        (b"[1, 2]", "not a GeoJSON FeatureCollection (a JSON list)"),
        (b'{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', "missing ring: core (and 2 more)"),
    ],
)
def test_an_unusable_file_is_one_line_naming_it_and_the_check(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(TopologyFileError) as refused:
        read_topology_file(path)
    message = str(refused.value)
    assert message == f"topology file {path}: {problem}; check it with `citygate topology check {path}`"
    assert "\n" not in message and refused.value.problems[0] == problem.removesuffix(" (and 2 more)")


def test_a_missing_file_and_a_directory(tmp_path: Path) -> None:
    with pytest.raises(TopologyFileError, match=r"nowhere.json: no such file; check it"):
        read_topology_file(tmp_path / "nowhere.json")
    with pytest.raises(TopologyFileError, match=r": a directory, not a file; check it"):
        read_topology_file(tmp_path)


def test_the_workers_file_is_named_by_its_variable(tmp_path: Path) -> None:
    path = _write(tmp_path, b"{}")
    with pytest.raises(TopologyFileError) as refused:
        load_topology(Settings(topology=str(path)))
    assert str(refused.value).startswith(f"CITYGATE_TOPOLOGY={path}: not a GeoJSON FeatureCollection; ")


def test_a_good_file_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, orjson.dumps(generate_topology(7)))
    assert len(read_topology_file(path).points) == len(load_topology(Settings(topology=str(path))).points)
