"""The one place where an agent's per-message errors become dead letters.

Faust acks and skips an event whose agent raises, so no exception may escape an agent body: every message of
a batch is handed to a sync `handle` function; an `InvalidInput` becomes a dead letter with its reason, any
other exception a `processing_error` dead letter (logged without the message content), plus what the topic's
`answers` tell the sender (an operator command's outcome) or the audit record of a `Refused`; the batch's
outputs are then handed to the producer without awaiting delivery. The producer is flushed before offsets are
committed (by Faust for its agents, by streams/worker/sensor/consumer.py for hits), so at-least-once holds:
outputs are in
Kafka before their input is committed.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from faust.types import EventT, TopicT

from streams import codecs, topics
from streams.domain.audit import refusal_audit
from streams.domain.deadletters import deadletter_message
from streams.domain.exceptions import InvalidInput, Refused
from streams.settings import Settings
from streams.worker.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to produce, to a public topic by its logical name (`streams.topics`): handlers never
    see Faust topics or the deployment's topic prefix, so they are tested on plain values."""

    topic: str
    key: bytes
    value: bytes


class InputMessage(Protocol):
    """What a handler reads of a consumed message: aiokafka's `ConsumerRecord` shape (the sensor side hands
    its records over as they come; Faust's messages are wrapped in an `InputRecord`)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int | None: ...  # epoch milliseconds (broker time on our input topics)
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


class InputRecord:
    """A consumed message in aiokafka's record shape (timestamp in epoch ms), for Faust's messages and
    tests."""

    __slots__ = ("topic", "partition", "offset", "timestamp", "key", "value", "headers")

    def __init__(
        self,
        topic: str,
        partition: int,
        offset: int,
        timestamp: int | None,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers

    @classmethod
    def from_faust(cls, message: Any) -> InputRecord:
        """From a Faust `Message` (timestamp in seconds; headers a list of pairs or a mapping)."""
        stamp = message.timestamp
        raw = message.headers or ()
        pairs = raw.items() if isinstance(raw, Mapping) else raw
        return cls(
            message.topic,
            message.partition,
            message.offset,
            None if not stamp else round(stamp * 1000),
            message.key,
            message.value,
            tuple((str(k), v) for k, v in pairs if isinstance(v, bytes)),
        )


# (an InputMessage, now) → records to produce.
Handler = Callable[[Any, datetime], Sequence[Outgoing]]
# (the refused InputMessage, why, now) → what a topic's senders are told besides the dead letter.
Answer = Callable[[Any, InvalidInput, datetime], Sequence[Outgoing]]
# Hands one record to the producer and returns the send's future (its outcome once delivered or failed).
Send = Callable[[Outgoing], Awaitable[Awaitable[object]]]


def received(message: InputMessage, now: datetime) -> datetime:
    """When `message` reached Kafka (its broker timestamp), else `now`: what input times are judged by."""
    stamp = message.timestamp
    return datetime.fromtimestamp(stamp / 1000, UTC) if stamp is not None and stamp > 0 else now


class TopicSender:
    """Sends `Outgoing` records through the app's Faust topics, by logical name."""

    def __init__(self, topics: Mapping[str, TopicT]) -> None:
        self.topics = topics

    async def __call__(self, record: Outgoing) -> Awaitable[object]:
        return await self.topics[record.topic].send(key=record.key, value=record.value)


class Pipeline:
    """Runs handlers over batches of messages; the only place their errors become dead letters."""

    def __init__(
        self, settings: Settings, metrics: Metrics, send: Send, answers: Mapping[str, Answer] | None = None
    ) -> None:
        """`answers` (by logical topic) answers a refused message's sender (operator commands: their
        outcome on `command.results`, and its audit record instead of the generic one of a `Refused`)."""
        self.settings = settings
        self.metrics = metrics
        self._send = send
        self.answers: Mapping[str, Answer] = answers or {}

    def source_of(self, message: InputMessage) -> str:
        return self.settings.logical_topic(message.topic)

    async def run(self, events: Sequence[EventT[Any]], handle: Handler) -> int:
        """Handle a batch of Faust events and send what they produce; returns how many were valid."""
        return await self.run_messages([InputRecord.from_faust(event.message) for event in events], handle)

    async def run_messages(self, messages: Sequence[InputMessage], handle: Handler) -> int:
        """Handle a batch of messages and send what they produce; returns how many were valid."""
        outgoing, valid = self.handle_messages(messages, handle)
        await self.send(outgoing)
        return valid

    def handle_messages(
        self, messages: Sequence[InputMessage], handle: Handler, now: datetime | None = None
    ) -> tuple[list[Outgoing], int]:
        """Handle a batch of messages: the records to produce (dead letters included) and how many were valid.

        Never raises for a message: an `InvalidInput` is a dead letter with its reason, anything else a
        `processing_error` dead letter. `now` is the clock's (tests pass their own)."""
        now = now or datetime.now(UTC)
        outgoing: list[Outgoing] = []
        valid: dict[str, int] = {}
        for message in messages:
            try:
                produced = handle(message, now)
            except InvalidInput as exc:  # a Refused (who stands behind it) is audited besides
                outgoing.append(self.dead_letter(self.source_of(message), message, exc.code, exc.detail, now))
                outgoing.extend(self.answer(message, exc, now))
                continue
            except Exception as exc:  # noqa: BLE001 - anything else must not kill the agent either
                # The frames, not the exception's text: that may quote the input (a plate), which the log
                # must not hold; the dead letter keeps it, for those allowed to read dead letters.
                log.error(
                    "processing failed for %s[%s]@%s: %s\n%s",
                    message.topic,
                    message.partition,
                    message.offset,
                    type(exc).__name__,
                    "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
                )
                detail = f"{type(exc).__name__}: {exc}"
                outgoing.append(
                    self.dead_letter(self.source_of(message), message, "processing_error", detail, now)
                )
                outgoing.extend(self.answer(message, InvalidInput("processing_error", detail), now))
                continue
            valid[message.topic] = valid.get(message.topic, 0) + 1
            if produced:
                outgoing.extend(produced)
        for topic, count in valid.items():
            self.metrics.events.labels(self.settings.logical_topic(topic), "valid").inc(count)
        return outgoing, sum(valid.values())

    async def send(self, outgoing: Sequence[Outgoing]) -> None:
        """Hand records to the producer; delivery is awaited by Faust's flush before the next commit."""
        for record in outgoing:
            await self._send(record)

    def answer(self, message: InputMessage, refusal: InvalidInput, now: datetime) -> Sequence[Outgoing]:
        """What a refused message's sender is told besides its dead letter: its topic's answer, else the
        audit record of a `Refused`; nothing for other refusals."""
        answer = self.answers.get(self.source_of(message))
        if answer is None:
            return [self.refusal(message, refusal, now)] if isinstance(refusal, Refused) else []
        try:
            return answer(message, refusal, now)
        except Exception as exc:  # noqa: BLE001 - the dead letter is written; nothing may escape the agent
            name = type(exc).__name__  # not its text, which may quote the input
            where = (message.topic, message.partition, message.offset)
            log.error("answering %s[%s]@%s failed: %s", *where, name)
            return []

    def refusal(self, message: InputMessage, refused: Refused, now: datetime) -> Outgoing:
        source = self.source_of(message)
        key = None if message.key is None else message.key.decode("utf-8", "replace")
        audit = refusal_audit(
            subject=key,
            claimed_by=refused.claimed_by,
            code=refused.code,
            detail=refused.detail,
            source_topic=source,
            source_partition=message.partition,
            source_offset=message.offset,
            now=now,
        )
        return Outgoing(topics.AUDIT, str(audit["subject"]).encode(), codecs.encode(audit))

    def dead_letter(
        self, source: str, message: InputMessage, code: str, detail: str, now: datetime
    ) -> Outgoing:
        self.metrics.events.labels(source, "deadletter").inc()
        self.metrics.deadletters.labels(source, code).inc()
        timestamp = message.timestamp
        envelope = deadletter_message(
            topic=source,
            partition=message.partition,
            offset=message.offset,
            timestamp_ms=None if timestamp is None or timestamp < 0 else timestamp,
            key=message.key,
            value=message.value,
            code=code,
            detail=detail,
            now=now,
            keep_bytes=self.settings.deadletter_keep_bytes,
        )
        return Outgoing(topics.DEADLETTER, source.encode(), codecs.encode(envelope))
