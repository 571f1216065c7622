"""The answer to an operator command (`command.results`, key: the command id): applied, or refused with the
reason, so the operator who sent it learns what became of it instead of guessing from the other topics.

A refusal carries the same reason code as the command's dead letter (`REASON_CODES`) and its detail on one
line, which is what a terminal prints.
"""

from __future__ import annotations

from datetime import datetime

from streams.domain.exceptions import REASON_CODES

OUTCOMES = frozenset({"applied", "refused"})
DETAIL_MAX = 1000


def one_line(detail: str) -> str:
    """`detail` with its whitespace runs (line breaks too) as single spaces, at most DETAIL_MAX characters;
    never empty (a refusal always says something)."""
    return " ".join(detail.split())[:DETAIL_MAX] or "refused"


def command_result(
    *,
    command_id: str,
    command: str | None,
    target_id: str | None,
    operator_id: str | None,
    refusal: tuple[str, str] | None,
    source_topic: str,
    source_partition: int,
    source_offset: int,
    now: datetime,
    effect: str | None = None,
) -> dict[str, object]:
    """The `command.results` value: applied when `refusal` is None, else refused with (code, detail);
    `effect` says on one line what an applied command did, when there is more to say than "applied"."""
    if refusal is None and (command is None or target_id is None or operator_id is None):
        raise ValueError("an applied command names its command, target and operator")
    reason = None
    if refusal is not None:
        code, detail = refusal
        if code not in REASON_CODES:
            raise ValueError(f"unknown dead-letter reason code {code!r}")
        reason = {"code": code, "detail": one_line(detail)}
    return {
        "schema_version": 1,
        "command_id": command_id,
        "command": command,
        "target_id": target_id,
        "operator_id": None if operator_id is None else operator_id[:100] or None,
        "outcome": "applied" if refusal is None else "refused",
        "reason": reason,
        "source": {"topic": source_topic, "partition": source_partition, "offset": source_offset},
        "decided_at": now.isoformat(),
        "effect": None if refusal is not None or not effect else one_line(effect)[:500],
    }
