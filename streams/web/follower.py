"""The web console's reader of the public topics: an ordinary consumer outside any group (never in a worker's
process), feeding the view (streams/web/view.py) and handing each change to the browsers' streams.

Where it starts: the compacted topics (incidents, units.state) and the lockdowns from their beginning (their
latest state is what the page draws), the alert topics `CITYGATE_CONSOLE_WEB_ALERT_HOURS` back by broker
time, and command.results from its end (answers to commands sent from now on). `alerts.restricted` is read
only when `restricted` is asked for: the server's Kafka role must then be privileged_operator, and a role
that may not read it stops the console at start with a line that says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition

from streams import topics
from streams.aio.following import consumer_for, topic_partitions
from streams.settings import Settings
from streams.web.view import FOLLOWED, Change, DeskView

log = logging.getLogger(__name__)

FROM_BEGINNING = (topics.INCIDENTS, topics.UNITS_STATE, topics.LOCKDOWNS)
BY_TIME = (topics.ALERTS, topics.ALERTS_RESTRICTED)


class DeskFollower:
    def __init__(
        self, settings: Settings, view: DeskView, on_change: Callable[[Change], None], *, restricted: bool
    ) -> None:
        self.settings = settings
        self.view = view
        self.on_change = on_change
        self.names = [t for t in FOLLOWED if restricted or t != topics.ALERTS_RESTRICTED]
        self.caught_up = asyncio.Event()  # every partition read to where it ended at start
        self.last_poll: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Assign and position the consumer (errors here stop the console: a missing topic or a role that
        may not read one), then follow in a task of its own."""
        tps = await topic_partitions(self.settings, self.names)
        consumer = consumer_for(self.settings, client_id="web-console")
        await consumer.start()
        try:
            consumer.assign(tps)
            by_name = {self.settings.logical_topic(tp.topic): tp for tp in tps}
            since = datetime.now(UTC) - timedelta(hours=self.settings.console_web_alert_hours)
            timed = [tp for name, tp in by_name.items() if name in BY_TIME]
            found = await consumer.offsets_for_times(dict.fromkeys(timed, int(since.timestamp() * 1000)))
            ends = await consumer.end_offsets(tps)
            for tp in tps:
                name = self.settings.logical_topic(tp.topic)
                if name in FROM_BEGINNING:
                    consumer.seek(tp, 0)
                elif name in BY_TIME:
                    hit = found.get(tp)
                    consumer.seek(tp, ends[tp] if hit is None else hit.offset)
                else:
                    consumer.seek(tp, ends[tp])
        except BaseException:
            await consumer.stop()
            raise
        self._task = asyncio.create_task(self._follow(consumer, ends))

    async def _follow(self, consumer: object, ends: dict[TopicPartition, int]) -> None:
        from aiokafka import AIOKafkaConsumer

        assert isinstance(consumer, AIOKafkaConsumer)  # noqa: S101 - made by start()
        behind = {tp: end for tp, end in ends.items() if end > 0}
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=2000)
                self.last_poll = datetime.now(UTC)
                for tp, records in batches.items():
                    name = self.settings.logical_topic(tp.topic)
                    for record in records:
                        at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
                        change = self.view.apply(name, record.key, record.value, at)
                        if change is not None and self.caught_up.is_set():
                            self.on_change(change)
                for tp in list(behind):
                    if await consumer.position(tp) >= behind[tp]:
                        del behind[tp]
                if not behind and not self.caught_up.is_set():
                    self.caught_up.set()
                    log.info("web console: caught up with %s", ", ".join(self.names))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("web console: following the topics failed")
            raise
        finally:
            await consumer.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # logged where it happened
                await self._task
            self._task = None
