"""The package's import rules and size limits, as tests: the layout README and docs/development.md describe.

- `streams/domain/` imports the standard library and itself only (pure: time passed in, no I/O).
- `streams/gateway/` (its own process) imports neither Faust, mode nor kafka-python, nor the worker, the tools
  or the CLI;
- `streams/tools/` never imports Faust, mode or aiokafka, nor the worker; `streams/worker/` never imports a
  tool or the CLI; the shared top-level modules import none of the three sides.
- `streams/aio/` (aiokafka for the processes with an event loop) imports no side; `streams/web/` (the web
  console, its own process) never imports the worker.
- No module in `streams/` has more than 500 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import streams

PACKAGE = Path(streams.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
FRAMEWORKS = ("faust", "mode", "aiokafka")


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, *roots: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def _in(side: str) -> list[Path]:
    return [m for m in MODULES if _within(_name(m), f"streams.{side}")]


SHARED = [m for m in MODULES if m.parent == PACKAGE and m.name != "__init__.py"]


@pytest.mark.parametrize("module", _in("domain"), ids=_name)
def test_the_domain_imports_only_the_standard_library_and_itself(module: Path) -> None:
    outside = {
        name
        for name in _imports(module)
        if name.split(".")[0] not in sys.stdlib_module_names and not _within(name, "streams.domain")
    }
    assert not outside, f"{_name(module)} imports {sorted(outside)}"


@pytest.mark.parametrize("module", _in("tools"), ids=_name)
def test_a_tool_imports_neither_faust_nor_the_worker(module: Path) -> None:
    bad = {n for n in _imports(module) if _within(n, *FRAMEWORKS, "streams.worker", "streams.cli")}
    assert not bad, f"{_name(module)} imports {sorted(bad)}"


@pytest.mark.parametrize("module", _in("worker"), ids=_name)
def test_the_worker_imports_no_tool_and_no_command(module: Path) -> None:
    bad = {n for n in _imports(module) if _within(n, "streams.tools", "streams.cli")}
    assert not bad, f"{_name(module)} imports {sorted(bad)}"


@pytest.mark.parametrize("module", _in("gateway"), ids=_name)
def test_the_gateway_imports_neither_faust_nor_the_worker_the_tools_or_the_cli(module: Path) -> None:
    bad = {
        n
        for n in _imports(module)
        if _within(n, "faust", "mode", "kafka", "streams.worker", "streams.tools", "streams.cli")
    }
    assert not bad, f"{_name(module)} imports {sorted(bad)}"


@pytest.mark.parametrize("module", SHARED, ids=_name)
def test_shared_modules_belong_to_no_side(module: Path) -> None:
    bad = {
        n
        for n in _imports(module)
        if _within(n, *FRAMEWORKS, "kafka", "streams.worker", "streams.tools", "streams.cli")
    }
    assert not bad, f"{_name(module)} imports {sorted(bad)}"


@pytest.mark.parametrize("module", _in("aio"), ids=_name)
def test_the_asyncio_kafka_helpers_import_no_side(module: Path) -> None:
    bad = {
        n
        for n in _imports(module)
        if _within(n, "faust", "streams.worker", "streams.web", "streams.tools", "streams.cli")
    }
    assert not bad, f"{_name(module)} imports {sorted(bad)}"


@pytest.mark.parametrize("module", _in("web"), ids=_name)
def test_the_web_console_imports_no_worker_module(module: Path) -> None:
    bad = {n for n in _imports(module) if _within(n, "faust", "streams.worker", "streams.cli")}
    assert not bad, f"{_name(module)} imports {sorted(bad)}"


def test_no_tool_pulls_in_faust_even_indirectly() -> None:
    """Import every tool module in a fresh interpreter: neither Faust, mode nor aiokafka may be loaded."""
    names = [_name(m) for m in _in("tools")]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("module", MODULES, ids=_name)
def test_no_module_is_over_500_lines(module: Path) -> None:
    lines = module.read_text(encoding="utf-8").count("\n")
    assert lines <= 500, f"{_name(module)} has {lines} lines: split it by concern"
