"""Waiting for the answer to an operator command: its record on `command.results` (key: the command id),
which the worker writes once it applied or refused the command.

The watch takes the topic's end offsets before the command is sent, so however fast the worker answers, the
answer lies after them and cannot be missed; it reads no further back, so an answer to an older command is
never taken for this one. `outcome` turns an answer into what the command prints and its exit status.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from streams import topics
from streams.settings import Settings
from streams.tools.kafka_io import assigned_consumer

# Exit statuses of a command that waits for its answer.
APPLIED, REFUSED, NO_ANSWER = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int  # APPLIED, REFUSED or NO_ANSWER
    line: str  # what to print, on one line


def outcome(command: str, target_id: str, answer: dict[str, Any] | None, waited_s: float) -> Outcome:
    """What a command prints and exits with, given its answer (None: none came within `waited_s`)."""
    if answer is None:
        return Outcome(NO_ANSWER, f"no worker answered within {waited_s:g} s: is a worker running?")
    if answer.get("outcome") == "applied":
        effect = " ".join(str(answer.get("effect") or "").split())
        return Outcome(APPLIED, f"{command} {target_id} applied" + (f": {effect}" if effect else ""))
    reason = answer.get("reason") or {}
    code, detail = reason.get("code", "refused"), " ".join(str(reason.get("detail", "")).split())
    return Outcome(REFUSED, f"{command} {target_id} refused ({code}): {detail}")


class AnswerWatch:
    """Reads `command.results` from where it ended when the watch was opened. Open it before sending."""

    def __init__(self, settings: Settings) -> None:
        self._consumer, tps = assigned_consumer(settings, topics.COMMAND_RESULTS)
        try:
            self._consumer.seek_to_end(*tps)
            for tp in tps:  # kafka-python seeks lazily: resolve the end offsets now, before the send
                self._consumer.position(tp)
        except BaseException:
            self._consumer.close()
            raise

    def wait(self, command_id: str, timeout_s: float) -> dict[str, Any] | None:
        """The answer to `command_id`, or None when none came within `timeout_s` seconds."""
        return self.wait_all([command_id], timeout_s).get(command_id)

    def wait_all(self, command_ids: list[str], timeout_s: float) -> dict[str, dict[str, Any]]:
        """The answers to `command_ids` that came within `timeout_s` seconds (by command id)."""
        wanted = {command_id.encode(): command_id for command_id in command_ids}
        found: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout_s
        while len(found) < len(wanted) and (left := deadline - time.monotonic()) > 0:
            for records in self._consumer.poll(timeout_ms=max(1, min(500, int(left * 1000)))).values():
                for record in records:
                    if record.key not in wanted or record.value is None:
                        continue
                    try:
                        answer = orjson.loads(record.value)
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(answer, dict):
                        found.setdefault(wanted[record.key], answer)
        return found

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> AnswerWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
