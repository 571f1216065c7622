"""`citygate watchlist add|remove|list|import|export`: entries on the compacted `watchlist.entries` topic."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import orjson

from streams import topics
from streams.cli.common import choice, load_settings, signing_key, since_option, valid_since
from streams.cli.group import CitygateGroup
from streams.domain.matching.watchlist import CATEGORIES
from streams.settings import Settings


@click.group("watchlist", cls=CitygateGroup)
def watchlist_group() -> None:
    """Add, remove and list watchlist entries (on the compacted `watchlist.entries` topic)."""


@watchlist_group.command("add")
@click.argument("plate")
@click.option("--category", required=True, type=choice(CATEGORIES))
@click.option("--reason", required=True)
@click.option("--priority", type=click.IntRange(1, 3), default=2, show_default=True)
@click.option("--agency", "source_agency", default=Settings().home_agency, show_default=True)
@click.option(
    "--by", "added_by", required=True, help="Who adds it (officer id or name), for the audit trail."
)
@click.option("--hours", type=float, default=None, help="Valid for this many hours (default: open-ended).")
@click.option(
    "--since",
    callback=since_option,
    default=None,
    help="Of interest since this time (ISO 8601; no offset: the city's time) or this long ago (6h, 90m). "
    "Default: CITYGATE_RETRO_HOURS ago, so the retro-match finds the sightings of those hours.",
)
@click.option("--covert", is_flag=True, help="Hits go only to alerts.restricted.")
@click.option("--incident", "incident_id", default=None)
@click.option("--instructions", default=None)
@click.option("--id", "entry_id", default=None, help="Entry id (default: a new one).")
def watchlist_add(
    plate: str,
    category: str,
    reason: str,
    priority: int,
    source_agency: str,
    added_by: str,
    hours: float | None,
    since: datetime | timedelta | None,
    covert: bool,
    incident_id: str | None,
    instructions: str | None,
    entry_id: str | None,
) -> None:
    """Put PLATE on the watchlist."""
    from streams.domain.exceptions import InvalidInput
    from streams.tools.kafka_io import produce
    from streams.tools.messages import watchlist_entry

    settings = load_settings()
    now = datetime.now(UTC)
    try:
        message = watchlist_entry(
            plate=plate,
            category=category,
            priority=priority,
            reason=reason,
            source_agency=source_agency,
            added_by=added_by,
            hours=hours,
            covert=covert,
            incident_id=incident_id,
            instructions=instructions,
            entry_id=entry_id,
            now=now,
            since=valid_since(since, now, settings),
        )
    except InvalidInput as exc:
        raise click.ClickException(exc.detail) from None
    key = str(message["entry_id"])
    signer = signing_key(settings)
    if signer is not None:
        message = {
            **message,
            "signature": signer.sign(topic=topics.WATCHLIST, key=key, value=message).fields(),
        }
    produce(settings, topics.WATCHLIST, [(key.encode(), orjson.dumps(message))])
    click.echo(f"added {key}: {plate} ({category}, priority {priority})")


@watchlist_group.command("remove")
@click.argument("entry_id")
@click.option("--by", "removed_by", required=True, help="Who removes it, for the audit trail.")
@click.option("--reason", required=True, help="Why, for the audit trail.")
def watchlist_remove(entry_id: str, removed_by: str, reason: str) -> None:
    """Delete ENTRY_ID, or the entry a unique prefix of it names (a tombstone on the compacted topic; who and
    why travel as headers). An id that is not listed is refused, and nothing is sent."""
    from streams.codecs import ACTOR_HEADER, REASON_HEADER
    from streams.tools.kafka_io import produce

    settings = load_settings()
    entry_id = _listed_entry(settings, entry_id)
    headers = {ACTOR_HEADER: removed_by, REASON_HEADER: reason}
    signer = signing_key(settings)
    if signer is not None:
        signature = signer.sign(topic=topics.WATCHLIST, key=entry_id, value=None, reason=reason)
        headers[ACTOR_HEADER] = signer.person_id
        headers["citygate-signature"] = orjson.dumps(signature.fields()).decode()
    produce(settings, topics.WATCHLIST, [(entry_id.encode(), None)], headers=headers)
    click.echo(f"removed {entry_id}")


def _listed_entry(settings: Settings, given: str) -> str:
    """The listed entry `given` (its id, or a unique prefix) names; a one-line error when none or several
    are: a tombstone for an id nobody listed would be audited as a removal that removed nothing."""
    from streams.tools.kafka_io import read_watchlist
    from streams.tools.targets import TargetError, resolve

    try:
        return resolve(given, [set(read_watchlist(settings))], "listed watchlist entry")
    except TargetError as exc:
        raise click.ClickException(str(exc)) from None


@watchlist_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON entry per line.")
def watchlist_list(as_json: bool) -> None:
    """Print the current watchlist (the compacted topic read to its end)."""
    from streams.tools.kafka_io import read_watchlist
    from streams.tools.listings import watchlist_lines

    entries = read_watchlist(load_settings())
    for line in watchlist_lines(entries.values(), as_json=as_json):
        click.echo(line)
    click.echo(f"{len(entries)} entries", err=True)


def _encoding_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from streams.tools.spreadsheet_text import known_encoding

    if value is None:
        return None
    try:
        return known_encoding(value)
    except LookupError:
        raise click.BadParameter(f"no such encoding: {value!r} (e.g. utf-8, gb18030, big5)") from None


@watchlist_group.command("import")
@click.argument("csv_file", type=click.File("rb"))
@click.option(
    "--by", "added_by", default=None, help="Importing officer, for rows without an added_by column."
)
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Write nothing if any row is bad.")
@click.option(
    "--encoding",
    callback=_encoding_option,
    default=None,
    metavar="NAME",
    help="The file's text encoding (default: UTF-8, with or without a BOM, else GB18030/GBK, as Chinese "
    "spreadsheet tools save CSV).",
)
def watchlist_import(
    csv_file: Any, added_by: str | None, dry_run: bool, all_or_nothing: bool, encoding: str | None
) -> None:
    """Import a CSV watchlist (columns: see README); bad rows are reported by line and skipped."""
    from streams.domain.matching.bulk import read_entries_csv
    from streams.tools.kafka_io import produce
    from streams.tools.spreadsheet_text import TextEncodingError, decode_text

    now = datetime.now(UTC)
    from streams.codecs import parse_entry

    try:
        decoded = decode_text(csv_file.read(), csv_file.name, encoding)
    except TextEncodingError as exc:
        raise click.ClickException(str(exc)) from None
    if encoding is None and decoded.encoding != "utf-8-sig":
        click.echo(f"{csv_file.name}: not UTF-8; read as {decoded.encoding.upper()}", err=True)
    since = valid_since(None, now, load_settings())
    result = read_entries_csv(decoded.text, added_by=added_by, now=since, check=parse_entry)
    for error in result.errors:
        click.echo(f"{csv_file.name}: {error}", err=True)
    held_back = dry_run or (all_or_nothing and bool(result.errors))
    if not held_back and result.messages:
        from streams.tools.signer import RecordSigner

        # Each entry signed as `watchlist add` signs one (a signature counts for minutes: signed just before).
        settings = load_settings()
        sign = RecordSigner.from_settings(settings, lambda line: click.echo(line, err=True), "import")
        records = [
            (str(m["entry_id"]).encode(), orjson.dumps(sign(topics.WATCHLIST, str(m["entry_id"]), m)))
            for m in result.messages
        ]
        produce(settings, topics.WATCHLIST, records)
    verb = "would import" if held_back else "imported"
    click.echo(f"{verb} {len(result.messages)} entries; {len(result.errors)} rows refused")
    if result.errors:
        sys.exit(1)


@watchlist_group.command("export")
@click.argument("csv_file", type=click.File("w", encoding="utf-8"), default="-")
def watchlist_export(csv_file: Any) -> None:
    """Write the current watchlist as CSV (to CSV_FILE, default standard output)."""
    from streams.domain.matching.bulk import write_entries_csv
    from streams.tools.kafka_io import read_watchlist

    csv_file.write(write_entries_csv(read_watchlist(load_settings()).values()))
