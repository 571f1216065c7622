"""The answer to every operator command: its outcome on `command.results` (key: the command id), which the
sender waits for, and on `audit`.

One answer per command id, the first one decided:

- **Applied**: the handler's records, then the answer. All of them are kept in the answers table, so a
  worker that reads the same record again (it crashed before committing the offset) sends the same records
  again instead of judging anew a command whose effect and nonce its tables already hold (it would say
  "lifted already" or `replayed`).
- **Refused once the signer was checked** (not_authorised, an unknown or lifted target) with signatures
  on: the record spent its nonce, so the refusal is kept too and raised again for the same record.
  Everything else (off the contract, unsigned, forged, replayed, and every refusal without signatures)
  changed nothing, so judging it again gives the same verdict and nothing is kept.
- **A command id already answered** (by an earlier record: sent again, or replayed byte for byte) gets
  that answer again, unchanged, and applies nothing: a forger repeating an id cannot overwrite the answer
  its sender read.

A message without a readable command id (not a JSON object, or no valid `command_id`) gets no answer,
only its dead letter. Kept answers are forgotten `command_max_age + max_skew` (by broker time) after their
command arrived: an older record is refused as stale before the table is asked.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime
from typing import Any

from streams import codecs, topics
from streams.domain.audit import command_audit, refusal_audit
from streams.domain.commands import OperatorCommand
from streams.domain.exceptions import InvalidInput, Refused
from streams.domain.results import command_result
from streams.settings import Settings
from streams.worker.pipeline import InputMessage, Outgoing, received

# command id → {"source": [partition, offset], "at_ms": broker time, "command": [command, target, operator],
#               "records": [[topic, key, value], ...] (applied) or None,
#               "refusal": [code, detail, whether it is about the signer (Refused)] or None,
#               "result": the answer's value}
AnswerTable = MutableMapping[str, dict[str, Any]]


class CommandAnswers:
    def __init__(self, settings: Settings, table: AnswerTable) -> None:
        bounds = settings.time_bounds()
        self.table = table
        self.max_bytes = settings.max_message_bytes
        self.keep_ms = (bounds.command_max_age + bounds.max_skew).total_seconds() * 1000

    def again(self, command: OperatorCommand, message: InputMessage) -> Sequence[Outgoing] | None:
        """What this very record was answered before (a worker reading it again): its records again, or its
        refusal raised again. None for a record not answered yet."""
        kept = self.table.get(command.command_id)
        if kept is None or kept["source"] != [message.partition, message.offset]:
            return None
        if kept["refusal"] is not None:
            code, detail, about_signer = kept["refusal"]
            if about_signer:
                raise Refused(code, detail, claimed_by=kept["command"][2])
            raise InvalidInput(code, detail)
        return [*(_outgoing(record) for record in kept["records"]), self._kept_result(command.command_id)]

    def repeated(self, command: OperatorCommand, message: InputMessage) -> Sequence[Outgoing] | None:
        """A new record with an id answered already: the same command gets its first answer again and
        applies nothing; another command under that id is refused. None for a new id."""
        kept = self.table.get(command.command_id)
        if kept is None:
            return None
        first = kept["command"]
        if first != [command.command, command.target_id, command.operator_id]:
            raise InvalidInput(
                "invalid_value",
                f"command id {command.command_id} is taken by another command ({' '.join(first)})",
            )
        return [self._kept_result(command.command_id)]

    def applied(
        self,
        command: OperatorCommand,
        message: InputMessage,
        records: Sequence[Outgoing],
        now: datetime,
        effect: str | None = None,
    ) -> list[Outgoing]:
        """The handler's records and the answer `applied` (saying `effect`), kept for a second reading."""
        result = self._result(command, message, None, now, effect)
        self._keep(command, message, now, result, records=records, refusal=None)
        return [*records, Outgoing(topics.COMMAND_RESULTS, command.command_id.encode(), result)]

    def keep_refusal(
        self, command: OperatorCommand, message: InputMessage, refusal: InvalidInput, now: datetime
    ) -> None:
        """Keep the refusal of a command whose signer was checked (it spent its nonce): read again, the
        record is refused the same way. `refused` writes the answer."""
        result = self._result(command, message, refusal, now)
        about_signer = [refusal.code, refusal.detail, isinstance(refusal, Refused)]
        self._keep(command, message, now, result, records=None, refusal=about_signer)

    def refused(self, message: InputMessage, refusal: InvalidInput, now: datetime) -> list[Outgoing]:
        """The answer and the audit record of a refused operator command (the pipeline writes its dead
        letter): a refusal of who stands behind it is audited as `refused`, any other as
        `command_refused`. An id answered already gets that answer again."""
        header = codecs.command_header(message.value, max_bytes=self.max_bytes)
        claimed = refusal.claimed_by if isinstance(refusal, Refused) else None
        audit = refusal_audit(
            subject=None if message.key is None else message.key.decode("utf-8", "replace"),
            claimed_by=claimed or (None if header is None else header.operator_id),
            code=refusal.code,
            detail=refusal.detail,
            source_topic=topics.OPERATOR_COMMANDS,
            source_partition=message.partition,
            source_offset=message.offset,
            now=now,
            action="refused" if isinstance(refusal, Refused) else "command_refused",
            command_id=None if header is None else header.command_id,
        )
        out = [Outgoing(topics.AUDIT, str(audit["subject"]).encode(), codecs.encode(audit))]
        if header is None:
            return out if isinstance(refusal, Refused) else []
        if header.command_id in self.table:
            return [*out, self._kept_result(header.command_id)]
        result = codecs.encode(
            command_result(
                command_id=header.command_id,
                command=header.command,
                target_id=header.target_id,
                operator_id=claimed or header.operator_id,
                refusal=(refusal.code, refusal.detail),
                source_topic=topics.OPERATOR_COMMANDS,
                source_partition=message.partition,
                source_offset=message.offset,
                now=now,
            )
        )
        return [*out, Outgoing(topics.COMMAND_RESULTS, header.command_id.encode(), result)]

    def sweep(self, arrived: datetime) -> None:
        """Forget answers of commands that arrived longer ago than a command may be old (by broker time,
        so a worker reading old records again after an outage still finds theirs)."""
        horizon = arrived.timestamp() * 1000 - self.keep_ms
        for command_id in [c for c, kept in self.table.items() if kept["at_ms"] < horizon]:
            del self.table[command_id]

    def _result(
        self,
        command: OperatorCommand,
        message: InputMessage,
        refusal: InvalidInput | None,
        now: datetime,
        effect: str | None = None,
    ) -> bytes:
        return codecs.encode(
            command_result(
                command_id=command.command_id,
                command=command.command,
                target_id=command.target_id,
                operator_id=command.operator_id,
                refusal=None if refusal is None else (refusal.code, refusal.detail),
                source_topic=topics.OPERATOR_COMMANDS,
                source_partition=message.partition,
                source_offset=message.offset,
                now=now,
                effect=effect,
            )
        )

    def _keep(
        self,
        command: OperatorCommand,
        message: InputMessage,
        now: datetime,
        result: bytes,
        *,
        records: Sequence[Outgoing] | None,
        refusal: list[object] | None,
    ) -> None:
        self.table[command.command_id] = {
            "source": [message.partition, message.offset],
            "at_ms": round(received(message, now).timestamp() * 1000),
            "command": [command.command, command.target_id, command.operator_id],
            "records": None if records is None else [_kept(record) for record in records],
            "refusal": refusal,
            "result": result.decode(),
        }

    def _kept_result(self, command_id: str) -> Outgoing:
        return Outgoing(
            topics.COMMAND_RESULTS, command_id.encode(), self.table[command_id]["result"].encode()
        )


def audited(
    command: OperatorCommand,
    message: InputMessage,
    now: datetime,
    action: str,
    after: Mapping[str, object] | None = None,
) -> Outgoing:
    """The `audit` record of an applied operator command (key: its target), naming the record it came in."""
    audit = command_audit(
        command,
        action=action,
        source_topic=topics.OPERATOR_COMMANDS,
        source_partition=message.partition,
        source_offset=message.offset,
        after=after,
        now=now,
    )
    return Outgoing(topics.AUDIT, command.target_id.encode(), codecs.encode(audit))


def _kept(record: Outgoing) -> list[str]:
    # Keys are ids and values citygate's own JSON: both UTF-8 text, kept as such in a JSON table.
    return [record.topic, record.key.decode(), record.value.decode()]


def _outgoing(kept: list[str]) -> Outgoing:
    topic, key, value = kept
    return Outgoing(topic, key.encode(), value.encode())
