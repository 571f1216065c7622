"""The messages people write by hand: a watchlist entry and an operator command.

Each is checked by the parser the worker uses (the domain's), so a bad value fails at the terminal with the
reason a dead letter would give (`InvalidInput`), never on the topic. `now` is passed in.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from streams import topics
from streams.codecs import parse_command, parse_entry

if TYPE_CHECKING:
    from streams.signing import SigningKey


def watchlist_entry(
    *,
    plate: str,
    category: str,
    priority: int,
    reason: str,
    source_agency: str,
    added_by: str,
    hours: float | None,
    covert: bool,
    incident_id: str | None,
    instructions: str | None,
    entry_id: str | None,
    now: datetime,
    since: datetime | None = None,
) -> dict[str, object]:
    """A `watchlist.entries` value valid from `since` (default `now`) until `hours` after `now` (None:
    open-ended), with a new entry id unless one is given; raises InvalidInput."""
    entry_id = entry_id or f"WL-{uuid.uuid4().hex[:12]}"
    message: dict[str, object] = {
        "schema_version": 1,
        "entry_id": entry_id,
        "plate": plate,
        "category": category,
        "priority": priority,
        "reason": reason,
        "source_agency": source_agency,
        "added_by": added_by,
        "valid_from": (since or now).isoformat(),
        "valid_until": None if hours is None else (now + timedelta(hours=hours)).isoformat(),
        "covert": covert,
        "incident_id": incident_id,
        "instructions": instructions,
    }
    parse_entry(entry_id, message)
    return message


def operator_command(
    *,
    command: str,
    target_id: str,
    operator_id: str,
    reason_code: str | None,
    note: str | None,
    now: datetime,
    units: tuple[str, ...] = (),
) -> dict[str, object]:
    """An `operator.commands` value (keyed by `target_id`) issued `now`, with a new command id (`units`: a
    dispatch's named units); raises InvalidInput."""
    message: dict[str, object] = {
        "schema_version": 1,
        "command_id": f"cmd-{uuid.uuid4().hex[:16]}",
        "command": command,
        "target_id": target_id,
        "operator_id": operator_id,
        "issued_at": now.isoformat(),
        "reason_code": reason_code,
        "note": note,
    }
    if units:
        message["units"] = list(units)
    parse_command(target_id, message)
    return message


def signed_command(key: SigningKey | None, target_id: str, message: dict[str, object]) -> dict[str, object]:
    """The command signed by `key` as the command side checks it (None: unsigned); the signer is who gives
    it, whatever the message's operator_id said."""
    if key is None:
        return message
    message = {**message, "operator_id": key.person_id}
    signature = key.sign(topic=topics.OPERATOR_COMMANDS, key=target_id, value=message)
    return {**message, "signature": signature.fields()}
