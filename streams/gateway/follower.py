"""The camera registry and the gateways' keys, followed from their compacted topics as the watchlist
replica follows the watchlist: read from the beginning, ready once caught up with the end offsets seen at
start, then kept current for as long as the gateway runs.

A record that is not a valid registry or key message is logged and left out (it changes nothing: the
previous state of its key stands); the gateway has no dead-letter role, and an administrator's tool
checks what it writes. Until the follower is ready the gateway answers 503: a post judged against a half-
read registry would refuse cameras that are registered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import msgspec
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from streams import topics
from streams.aio.partitions import partitions_of
from streams.codecs.gateway import GATEWAY_DECODERS, CameraMessage, GatewayKeyMessage
from streams.domain.exceptions import InvalidInput
from streams.domain.gateway.cameras import CameraRegistry, camera_from
from streams.domain.gateway.keys import KeyBook, key_from
from streams.settings import Settings

log = logging.getLogger(__name__)
RETRY_S = 2.0


class Follower:
    def __init__(self, settings: Settings, on_change: Callable[[], None] = lambda: None) -> None:
        self.settings = settings
        self.cameras = CameraRegistry()
        self.keys = KeyBook()
        self.ready = False
        self.refused = 0
        self.last_fetch_s: float | None = None  # monotonic time the cluster last answered a fetch
        self.problem = ""  # why it is not following, for /health
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except (KafkaError, OSError, topics.MissingTopic) as error:
                self.problem = f"{type(error).__name__}: {error}"
                log.warning("following the camera registry failed (%s); trying again", self.problem)
                if self._consumer is not None:
                    await self._consumer.stop()
                    self._consumer = None
                await asyncio.sleep(RETRY_S * (5 if isinstance(error, topics.MissingTopic) else 1))

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            **self.settings.connection().client_kwargs(),
            client_id=f"{self.settings.app_id}-gateway-registry",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._consumer = consumer
        await consumer.start()
        names = {self.settings.topic(name): name for name in (topics.CAMERAS, topics.GATEWAY_KEYS)}
        tps = await partitions_of(self.settings, list(names), client_id=f"{self.settings.app_id}-gateway")
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        # A fresh start rebuilds the state from the beginning: the previous one stays in use until then.
        cameras, keys = CameraRegistry(), KeyBook()
        end = await consumer.end_offsets(tps)
        caught_up = all(offset == 0 for offset in end.values())
        if caught_up:
            self._swap(cameras, keys)
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            self.last_fetch_s = time.monotonic()
            self.problem = ""
            for tp, records in batches.items():
                for record in records:
                    self._apply(names[tp.topic], record.key, record.value, cameras, keys)
            if not caught_up:
                positions = {tp: await consumer.position(tp) for tp in tps}
                caught_up = all(positions[tp] >= end[tp] for tp in tps)
                if caught_up:
                    self._swap(cameras, keys)
            elif batches:
                self._on_change()

    def _swap(self, cameras: CameraRegistry, keys: KeyBook) -> None:
        self.cameras, self.keys = cameras, keys
        self.ready = True
        log.info("camera registry ready: %d cameras, %d gateway keys", len(cameras), len(keys))
        self._on_change()

    def _apply(
        self, topic: str, key: bytes | None, value: bytes | None, cameras: CameraRegistry, keys: KeyBook
    ) -> None:
        name = key.decode("utf-8", "replace") if key is not None else None
        try:
            if name is None:
                raise InvalidInput("key_mismatch", "record has no key")
            if topic == topics.CAMERAS:
                if value is None:
                    cameras.apply(name, None)
                else:
                    message = GATEWAY_DECODERS[topic].decode(value)
                    assert isinstance(message, CameraMessage)  # noqa: S101 (the topic's decoder)
                    cameras.apply(name, camera_from(message, name))
            elif value is None:
                keys.apply(name, None)
            else:
                found = GATEWAY_DECODERS[topic].decode(value)
                assert isinstance(found, GatewayKeyMessage)  # noqa: S101
                keys.apply(name, key_from(found, name))
        except (InvalidInput, msgspec.DecodeError, msgspec.ValidationError) as refused:
            self.refused += 1
            log.warning("left out a record of %s under key %r: %s", topic, name, refused)
