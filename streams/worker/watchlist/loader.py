"""Helper processes that read a share of `watchlist.entries` while a worker loads its replica.

The replica (streams/worker/watchlist/replica.py) starts a few of these when the list is large: each reads
its partitions from the beginning up to the end offsets the replica saw at start, prepares every record
(streams/worker/watchlist/preparing.py) and streams the results back in frames, in offset order. The
worker applies them (gate, nonces, index) and, once a helper is done, or gone, reads its partitions itself
from the position reached, so no record is applied twice or skipped.

    parent -> child (stdin):   one pickled `LoadJob` (the worker's own settings, credentials included:
                               a pipe, never the command line or the environment)
    child -> parent (stdout):  frames: 4-byte big-endian length, then a msgpack `Chunk`;
                               the last one has `done` set. Anything else (a short frame, EOF before the
                               last, an exit) means the helper failed: the worker takes its partitions over.

A helper dies with its worker (PR_SET_PDEATHSIG, and a write to a closed pipe), never outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import pickle  # noqa: S403 - the job comes from the parent process, over a pipe it made
import signal
import struct
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import msgspec
from aiokafka import TopicPartition

from streams.aio.following import consumer_for
from streams.settings import Settings
from streams.topics import WATCHLIST
from streams.worker.watchlist.preparing import Chunk, prepare
from streams.worker.watchlist.retro_reader import Range

log = logging.getLogger(__name__)

# What a helper runs: `main` below, imported (not `-m`, which would make a second copy of this module's
# classes, and the job would not unpickle as this module's LoadJob).
LOADER_CODE = "from streams.worker.watchlist.loader import main; raise SystemExit(main())"
_LENGTH = struct.Struct(">I")
MAX_FRAME_BYTES = 256 * 1024 * 1024  # a frame is one fetch of one partition: far below this
FETCH_RECORDS = 2000  # per fetch and so per frame: small frames keep the worker's buffers small
PIPE_BUFFER = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LoadJob:
    settings: Settings
    ranges: list[Range]  # offsets [start, end) of watchlist partitions
    signed: bool


class LoaderFailed(Exception):
    """A helper stopped before its last frame; the message says how."""


# ------------------------------------------------------------------------------------------ the helper


def main() -> int:
    """A helper's process: read the job, stream the frames, exit 0 once all are sent."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group: stopping is the worker's
    logging.basicConfig(level=logging.WARNING, format="watchlist loader: %(message)s")
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # the frames own stdout: a stray print goes to the log instead
    job = pickle.load(sys.stdin.buffer)  # noqa: S301 - see the import
    if not isinstance(job, LoadJob):
        log.error("expected a LoadJob on stdin, got %s", type(job).__name__)
        return 2
    try:
        asyncio.run(load(job, out))
    except BrokenPipeError:
        return 1  # the worker is gone
    return 0


async def load(job: LoadJob, out: BinaryIO) -> None:
    """Read `job.ranges` and write their frames to `out`, then the last frame."""
    settings = job.settings
    bounds, max_bytes = settings.time_bounds(), settings.max_message_bytes
    physical = settings.topic(WATCHLIST)
    ends = {TopicPartition(physical, r.partition): r.end for r in job.ranges if r.start < r.end}
    encode = msgspec.msgpack.Encoder().encode
    consumer = consumer_for(settings, client_id="watchlist-loader")
    await consumer.start()
    try:
        consumer.assign(list(ends))
        for r in job.ranges:
            if r.start < r.end:
                consumer.seek(TopicPartition(physical, r.partition), r.start)
        remaining = dict(ends)
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=500, max_records=FETCH_RECORDS)
            for tp, records in batches.items():
                prepared = [
                    prepare(
                        r.key,
                        r.value,
                        r.headers,
                        r.timestamp,
                        signed=job.signed,
                        bounds=bounds,
                        max_bytes=max_bytes,
                    )
                    for r in records
                ]
                position = await consumer.position(tp)
                _write(out, encode(Chunk(tp.partition, position, prepared)))
                if position >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
                    consumer.pause(tp)
        _write(out, encode(Chunk(-1, 0, [], done=True)))
    finally:
        await consumer.stop()


def _write(out: BinaryIO, frame: bytes) -> None:
    out.write(_LENGTH.pack(len(frame)))
    out.write(frame)
    out.flush()


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (a worker killed with -9 takes its helpers)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


# ------------------------------------------------------------------------------------------ the worker


class Loader:
    """One helper process, from the worker's side."""

    def __init__(self, process: asyncio.subprocess.Process, ranges: Sequence[Range]) -> None:
        self.process = process
        self.ranges = list(ranges)
        self._decode = msgspec.msgpack.Decoder(Chunk).decode

    @classmethod
    async def start(cls, job: LoadJob) -> Loader:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LOADER_CODE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=PIPE_BUFFER,
        )
        assert process.stdin is not None  # noqa: S101 (asked for above)
        process.stdin.write(pickle.dumps(job))
        with contextlib.suppress(ConnectionError):
            await process.stdin.drain()
        process.stdin.close()
        return cls(process, job.ranges)

    async def chunks(self) -> AsyncIterator[Chunk]:
        """The helper's chunks, up to its last; `LoaderFailed` when it stops short."""
        stdout = self.process.stdout
        assert stdout is not None  # noqa: S101
        while True:
            try:
                header = await stdout.readexactly(_LENGTH.size)
                (size,) = _LENGTH.unpack(header)
                if size > MAX_FRAME_BYTES:
                    raise LoaderFailed(f"sent a frame of {size} bytes")
                frame = await stdout.readexactly(size)
            except asyncio.IncompleteReadError:
                code = await self.process.wait()
                raise LoaderFailed(f"stopped before its last frame (exit status {code})") from None
            try:
                chunk = self._decode(frame)
            except msgspec.DecodeError as error:
                raise LoaderFailed(f"sent a frame that does not decode ({error})") from None
            if chunk.done:
                await self.process.wait()
                return
            yield chunk

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
