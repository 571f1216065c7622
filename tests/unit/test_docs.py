"""Every command the README and docs/ show is one citygate accepts: each `citygate …` line is parsed by the
real CLI (options, arguments and choices checked, nothing run), each `make X` names a Makefile target and
each `deploy/…` script exists. A usage line's `[optional]` parts are dropped and of `a|b` the first is
taken, so the synopsis is checked as well as the example."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import click
import pytest

from streams.cli import main

ROOT = Path(__file__).parents[2]
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "bench" / "README.md",
    ROOT / "deploy" / "local" / "README.md",
    ROOT / "schemas" / "README.md",
]
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.M | re.S)


def _command_lines() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for block in FENCE.findall(doc.read_text(encoding="utf-8")):
            if "─" in block:  # a diagram, not a shell session
                continue
            for line in block.splitlines():
                line = line.strip().removeprefix("$ ")
                line = re.sub(r"\s+#\s.*$", "", line).strip()  # a trailing comment
                for prefix in ("set -a; . clients/operator.env; ",):
                    line = line.removeprefix(prefix)
                if re.match(r"(citygate|\.venv/bin/citygate|make) |deploy/\S+[^/] ?", line):
                    found.append((f"{doc.relative_to(ROOT)}", line))
    return found


LINES = _command_lines()


def _words(line: str) -> list[str]:
    line = re.sub(r"\[[^\[\]]*\]", "", line)  # optional parts
    line = line.split(" > ")[0].split(" | ")[0]  # redirections and pipes
    words = shlex.split(line)
    return [w.split("|")[0] if "|" in w and not w.startswith("-") else w for w in words]


def _parse(args: list[str]) -> None:
    """Resolve and parse a command line through the click tree without running it."""
    command: click.Command = main
    ctx = command.make_context("citygate", list(args), resilient_parsing=False)
    while isinstance(command, click.Group):
        with warnings.catch_warnings():  # click 8.2 deprecates protected_args; 9.0 folds it into args
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*ctx.protected_args, *ctx.args]
        if not rest:
            return
        name, sub, remaining = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None, f"no command {rest[0]!r}"
        command = sub
        ctx = sub.make_context(name, remaining, parent=ctx)


def test_the_docs_show_commands_at_all() -> None:
    assert sum(1 for _, line in LINES if "citygate" in line.split()[0]) >= 20


@pytest.mark.parametrize(("doc", "line"), LINES, ids=[f"{d}: {line[:60]}" for d, line in LINES])
def test_a_command_in_the_docs_is_accepted(doc: str, line: str) -> None:
    words = _words(line)
    if words[0] in ("citygate", ".venv/bin/citygate"):
        try:
            _parse(words[1:])
        except click.BadParameter as exc:
            # A file the docs name as an example (a CSV to import) need not exist here.
            if not isinstance(exc.param.type if exc.param else None, click.File | click.Path):
                raise
    elif words[0] == "make":
        targets = set(re.findall(r"(?m)^([a-zA-Z_-]+):", (ROOT / "Makefile").read_text(encoding="utf-8")))
        assert words[1] in targets, f"no make target {words[1]!r}"
    else:
        script = ROOT / words[0]
        assert script.is_file() and script.stat().st_mode & 0o111, f"{words[0]} is not an executable script"
