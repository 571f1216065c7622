"""Bulk watchlists as agencies exchange them: CSV in, CSV out.

Import checks every row with the same rules as a single entry and reports each bad row by line number and
reason; the caller decides whether good rows go ahead without the bad ones. An entry id is derived from
agency, plate and category when the file has none, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from streams.domain.exceptions import InvalidInput
from streams.domain.matching.watchlist import WatchlistEntry

CSV_COLUMNS = (
    "entry_id",
    "plate",
    "category",
    "priority",
    "reason",
    "source_agency",
    "added_by",
    "valid_from",
    "valid_until",
    "covert",
    "incident_id",
    "instructions",
)
REQUIRED_COLUMNS = frozenset({"plate", "category", "priority", "reason", "source_agency"})
_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否", ""}


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    messages: list[dict[str, object]]  # watchlist.entries values, ready to produce
    errors: list[RowError]


def derived_entry_id(source_agency: str, plate: str, category: str) -> str:
    digest = hashlib.sha256(f"{source_agency}\x1f{plate}\x1f{category}".encode()).hexdigest()
    return f"WL-{digest[:16]}"


# Checks one entry message as the worker would (the codecs' `parse_entry`), raising `InvalidInput`.
CheckEntry = Callable[[str, dict[str, object]], object]


def read_entries_csv(text: str, *, added_by: str | None, now: datetime, check: CheckEntry) -> ImportResult:
    """Parse a CSV watchlist (header row first); rows that fail any rule (`check`, the same one a single
    entry passes) become `RowError`s."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    header = set(reader.fieldnames or ())
    missing = sorted(REQUIRED_COLUMNS - header)
    if missing:
        return ImportResult([], [RowError(1, f"missing column(s): {', '.join(missing)}")])
    unknown = sorted(header - set(CSV_COLUMNS))
    if unknown:
        return ImportResult([], [RowError(1, f"unknown column(s): {', '.join(unknown)}")])
    if added_by is None and "added_by" not in header:
        return ImportResult([], [RowError(1, "no added_by column and no importing officer given")])
    messages: list[dict[str, object]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(RowError(line, "more fields than the header has columns"))
            continue
        try:
            message = _row_message(row, added_by=added_by, now=now)
            check(str(message["entry_id"]), message)
        except InvalidInput as exc:
            errors.append(RowError(line, exc.detail))
            continue
        entry_id = str(message["entry_id"])
        if entry_id in seen:
            errors.append(RowError(line, f"entry {entry_id} repeats line {seen[entry_id]}"))
            continue
        seen[entry_id] = line
        messages.append(message)
    return ImportResult(messages, errors)


def _row_message(row: dict[str, str], *, added_by: str | None, now: datetime) -> dict[str, object]:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    priority_text = cell("priority")
    try:
        priority: object = int(priority_text)
    except ValueError:
        raise InvalidInput("wrong_type", f"priority must be 1, 2 or 3, got {priority_text!r}") from None
    covert_text = cell("covert").lower()
    if covert_text not in _TRUE | _FALSE:
        raise InvalidInput("wrong_type", f"covert must be true or false, got {covert_text!r}")
    plate, category, agency = cell("plate"), cell("category"), cell("source_agency")
    return {
        "schema_version": 1,
        "entry_id": cell("entry_id") or derived_entry_id(agency, plate, category),
        "plate": plate,
        "category": category,
        "priority": priority,
        "reason": cell("reason"),
        "source_agency": agency,
        "added_by": cell("added_by") or added_by or "",
        "valid_from": cell("valid_from") or now.isoformat(),
        "valid_until": cell("valid_until") or None,
        "covert": covert_text in _TRUE,
        "incident_id": cell("incident_id") or None,
        "instructions": cell("instructions") or None,
    }


def write_entries_csv(entries: Iterable[WatchlistEntry]) -> str:
    """The watchlist as CSV with every column, readable back by `read_entries_csv`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in sorted(entries, key=lambda e: e.entry_id):
        writer.writerow(
            [
                e.entry_id,
                e.plate,
                e.category,
                e.priority,
                e.reason,
                e.source_agency,
                e.added_by,
                e.valid_from.isoformat(),
                e.valid_until.isoformat() if e.valid_until else "",
                "true" if e.covert else "false",
                e.incident_id or "",
                e.instructions or "",
            ]
        )
    return out.getvalue()
