"""Tables that keep what matters when the terminal is narrow: each column says how long it stays.

Left to itself, rich shrinks every column of a table that is too wide by the same share, so at 80 columns
the priority vanished, plates lost their last characters and ids ended in "…" (no command takes those).
A `FittedTable` decides at the width it is drawn at instead (`fit`): ids are first cut back to the shortest
prefix that is still unique (what `lift` and `alert accept` take), then columns are cut or dropped in the
order of their `keep` (the summary first), and an essential column is never dropped, only cut to `least`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

# Between two columns: one cell of padding (collapsed, shared by both) and the table's blank divider.
GAP = 2
# How much of an id after its kind (`al-`, `ld-`, `inc-`) is shown at least: 8 hex digits are unique among
# tens of thousands of ids, so a prefix the console knows to be unique is very unlikely to be ambiguous to
# a command that knows more of them.
ID_DIGITS = 8


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    cells: Sequence[Text]
    # The lower, the sooner the column is cut (to `least`) and then dropped when the width is short.
    keep: int = 0
    # Never dropped; cut at most to `least`.
    essential: bool = False
    # The narrowest it may be cut to (with "…", or for ids to a prefix); None: never cut.
    least: int | None = None
    # Cut without "…", so what shows is a prefix of the id; `least` is where it stops being unique.
    id_prefix: bool = False
    # Takes the width the others leave (at most its content's).
    flexible: bool = False
    # The widest it is ever drawn (longer cells are cut with "…"); None: as wide as its widest cell.
    most: int | None = None
    right: bool = False

    def natural(self) -> int:
        """The width its widest cell (or header) needs, up to `most`."""
        lines = (line for text in self.cells for line in text.plain.splitlines())
        widest = max([cell_len(self.header), *(cell_len(line) for line in lines)])
        return widest if self.most is None else max(cell_len(self.header), min(widest, self.most))


def fit(columns: Sequence[Column], width: int) -> list[tuple[Column, int]]:
    """The columns shown at `width`, in their order, each with its width."""
    widths = [column.natural() for column in columns]
    shown = list(range(len(columns)))

    def excess() -> int:
        return sum(widths[n] for n in shown) + GAP * (len(shown) - 1) - width

    for n in shown:  # lossless first: a unique prefix is still the id
        column = columns[n]
        if column.id_prefix and column.least is not None and excess() > 0:
            widths[n] = min(widths[n], column.least)
    for n in sorted(shown, key=lambda n: columns[n].keep):
        if excess() <= 0:
            break
        column = columns[n]
        if column.least is not None and not column.id_prefix:
            widths[n] = max(min(column.least, widths[n]), widths[n] - excess())
        if excess() > 0 and not column.essential:
            shown.remove(n)
    # What a dropped column freed goes back to the columns cut on the way, the longest kept first; an id
    # is shown whole or as its unique prefix, never cut in between.
    for n in sorted(shown, key=lambda n: -columns[n].keep):
        wanted, room = columns[n].natural() - widths[n], -excess()
        if wanted > 0 and room > 0 and (wanted <= room or not columns[n].id_prefix):
            widths[n] += min(wanted, room)
    return [(columns[n], widths[n]) for n in shown]


class FittedTable:
    """A table of `columns` (cells of one row at the same index) laid out by `fit` at the width it gets."""

    def __init__(self, columns: Sequence[Column], row_styles: Sequence[str | None] = ()) -> None:
        self.columns = columns
        self.row_styles = row_styles

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(
            box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True, expand=True
        )
        chosen = fit(self.columns, options.max_width)
        for column, width in chosen:
            table.add_column(
                column.header,
                width=width,
                no_wrap=True,
                overflow="crop" if column.id_prefix else "ellipsis",
                justify="right" if column.right else "left",
            )
        rows = max((len(column.cells) for column in self.columns), default=0)
        for row in range(rows):
            style = self.row_styles[row] if row < len(self.row_styles) else None
            table.add_row(*(column.cells[row] for column, _ in chosen), style=style)
        yield table


def id_least(shown: Sequence[str], among: Iterable[str]) -> int:
    """The narrowest an id column showing `shown` may be: each one's shortest prefix that is unique among
    `among` (every id the console knows of that kind) fits, and at least ID_DIGITS after the id's kind."""
    lengths = unique_prefix_lengths([*among, *shown])
    return max((lengths[one] for one in shown), default=0)


def unique_prefix_lengths(ids: Iterable[str]) -> dict[str, int]:
    """For each id, the length of its shortest prefix that no other id of `ids` starts with (at least its
    kind and ID_DIGITS more, at most the whole id)."""
    ordered = sorted(set(ids))
    found: dict[str, int] = {}
    for n, current in enumerate(ordered):
        neighbours = ordered[max(0, n - 1) : n] + ordered[n + 1 : n + 2]
        shared = max((_common(current, other) for other in neighbours), default=0)
        least = current.find("-") + 1 + ID_DIGITS
        found[current] = min(len(current), max(shared + 1, least))
    return found


def _common(a: str, b: str) -> int:
    return next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
