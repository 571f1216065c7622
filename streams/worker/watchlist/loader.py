"""Helper processes that read a share of `watchlist.entries` while a worker loads its replica.

The replica (streams/worker/watchlist/replica.py) starts a few of these when the list is large. The list's
partitions (one, by default) are cut into blocks of `BLOCK_OFFSETS` offsets, dealt out in turn: of N
helpers, helper i prepares (streams/worker/watchlist/preparing.py) blocks i, i + N, i + 2N, … of each
partition and skips the others' records (reading a record costs ~2.7 µs, preparing it ~22). Every helper
reads the partitions one after the other, in the job's order, and sends one frame per block of its own,
empty ones included, so the worker knows which helper sends the next block it needs and applies the
blocks in offset order (gate, nonces, index): no record applied twice or out of its turn. Once a
partition's blocks are applied the worker reads it on itself; if any helper fails, it stops them all and
reads the rest itself from the last block applied.

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
import os
import pickle  # noqa: S403 - the job comes from the parent process, over a pipe it made
import signal
import struct
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import msgspec
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from streams.aio.following import consumer_for
from streams.settings import Settings
from streams.topics import WATCHLIST
from streams.worker.watchlist.preparing import Chunk, Prepared, prepare
from streams.worker.watchlist.retro_reader import Range

log = logging.getLogger(__name__)

# What a helper runs: `main` below, imported (not `-m`, which would make a second copy of this module's
# classes, and the job would not unpickle as this module's LoadJob).
LOADER_CODE = "from streams.worker.watchlist.loader import main; raise SystemExit(main())"
_LENGTH = struct.Struct(">I")
MAX_FRAME_BYTES = 256 * 1024 * 1024  # a frame is one fetch of one partition: far below this
FETCH_RECORDS = 2000
BLOCK_OFFSETS = 1000  # offsets per block: a frame holds at most this many records (~1 MB)
PIPE_BUFFER = 1024 * 1024  # what the worker buffers of each helper's output before it stops reading


@dataclass(frozen=True, slots=True)
class LoadJob:
    settings: Settings
    ranges: list[Range]  # offsets [start, end) of watchlist partitions, read in this order
    signed: bool
    helper: int = 0  # this helper's number, of `helpers`
    helpers: int = 1
    block_offsets: int = BLOCK_OFFSETS

    def blocks(self, r: Range) -> int:
        """How many blocks range `r` is cut into."""
        return -(-(r.end - r.start) // self.block_offsets)

    def block_end(self, r: Range, block: int) -> int:
        return min(r.start + (block + 1) * self.block_offsets, r.end)


# CITYGATE_REPLICA_LOADERS=-1 (the default) starts AUTO_HELPERS when the worker may use AUTO_MIN_CPUS or
# more: on two shared cores they made a million-entry load 1.13-1.51x faster (bench/README.md, scenario m)
# for ~30 CPU-seconds more in all; with one CPU they could only add to it.
AUTO = -1
AUTO_HELPERS = 2
AUTO_MIN_CPUS = 2.0


def helpers_to_start(setting: int, cpus: float | None = None) -> int:
    """How many helpers `CITYGATE_REPLICA_LOADERS` asks for here (`cpus`: `usable_cpus()`)."""
    if setting >= 0:
        return setting
    return AUTO_HELPERS if (usable_cpus() if cpus is None else cpus) >= AUTO_MIN_CPUS else 0


def usable_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> float:
    """The CPUs this process may use: those it may run on, or its cgroup's quota when that is lower
    (a container's CPU limit; cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`)."""
    cpus = float(len(os.sched_getaffinity(0)))
    quota = None
    with contextlib.suppress(OSError, ValueError):
        limit, period = (cgroup / "cpu.max").read_text().split()[:2]
        quota = None if limit == "max" else int(limit) / int(period)
    if quota is None:
        with contextlib.suppress(OSError, ValueError):
            limit_us = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
            period_us = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
            quota = limit_us / period_us if limit_us > 0 else None
    return cpus if quota is None else min(cpus, quota)


class LoaderFailed(Exception):
    """A helper stopped before its last frame; the message says how."""


# ------------------------------------------------------------------------------------------ the helper


def main() -> int:
    """A helper's process: read the job, stream the frames, exit 0 once all are sent. Its one argument:
    the worker's process id (a worker gone before this process could ask to die with it: exit at once)."""
    if not _die_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else None):
        return 1
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
    except (KafkaError, OSError) as exc:  # the worker reads the rest itself, and logs that it does
        log.error("stopped: %s: %s", type(exc).__name__, exc)
        return 1
    return 0


async def load(job: LoadJob, out: BinaryIO) -> None:
    """Read `job.ranges` and write the frames of this helper's blocks to `out`, then the last frame."""
    settings = job.settings
    bounds, max_bytes = settings.time_bounds(), settings.max_message_bytes
    physical = settings.topic(WATCHLIST)
    consumer = consumer_for(settings, client_id="watchlist-loader")
    await consumer.start()
    try:
        for r in job.ranges:
            tp = TopicPartition(physical, r.partition)
            consumer.assign([tp])
            consumer.seek(tp, r.start)
            blocks = _OwnBlocks(job, r, out)
            while not blocks.done:
                batches = await consumer.getmany(tp, timeout_ms=500, max_records=FETCH_RECORDS)
                for record in batches.get(tp, ()):
                    if record.offset >= r.end:
                        break
                    if blocks.owns(record.offset):
                        blocks.add(
                            prepare(
                                record.key,
                                record.value,
                                record.headers,
                                record.timestamp,
                                signed=job.signed,
                                bounds=bounds,
                                max_bytes=max_bytes,
                            )
                        )
                blocks.send_through(min(await consumer.position(tp), r.end))
        _write(out, msgspec.msgpack.encode(Chunk(-1, 0, [], done=True)))
    finally:
        await consumer.stop()


class _OwnBlocks:
    """A helper's blocks of one range: the one it is filling, and sending each once it is read."""

    def __init__(self, job: LoadJob, r: Range, out: BinaryIO) -> None:
        self.job, self.range, self.out = job, r, out
        self.count = job.blocks(r)
        self.block = job.helper  # the next block of ours to send
        self.pending: list[Prepared] = []
        self._encode = msgspec.msgpack.Encoder().encode

    @property
    def done(self) -> bool:
        return self.block >= self.count

    def owns(self, offset: int) -> bool:
        """Whether the record at `offset` is ours (sending those of ours before it that are complete)."""
        self.send_through(offset)
        return (offset - self.range.start) // self.job.block_offsets == self.block

    def add(self, prepared: Prepared) -> None:
        self.pending.append(prepared)

    def send_through(self, offset: int) -> None:
        """Send our blocks that end at or before `offset`: every record of theirs has been read."""
        while self.block < self.count and self.job.block_end(self.range, self.block) <= offset:
            _write(self.out, self._encode(Chunk(self.range.partition, self.block, self.pending)))
            self.block, self.pending = self.block + self.job.helpers, []


def _write(out: BinaryIO, frame: bytes) -> None:
    out.write(_LENGTH.pack(len(frame)))
    out.write(frame)
    out.flush()


def _die_with_parent(parent: int | None) -> bool:
    """Ask Linux to kill this process when its parent dies (a worker killed with -9 takes its helpers);
    False when the parent is gone already (it died while this process was starting)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    return parent is None or os.getppid() == parent


# ------------------------------------------------------------------------------------------ the worker


class Loader:
    """One helper process, from the worker's side."""

    def __init__(self, process: asyncio.subprocess.Process, ranges: Sequence[Range]) -> None:
        self.process = process
        self.ranges = list(ranges)
        self._decode = msgspec.msgpack.Decoder(Chunk).decode
        self._chunks = self.chunks()

    @classmethod
    async def start(cls, job: LoadJob) -> Loader:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LOADER_CODE,
            str(os.getpid()),
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

    async def next_chunk(self) -> Chunk:
        """The helper's next chunk; `LoaderFailed` when it stops short, or is done."""
        try:
            return await anext(self._chunks)
        except StopAsyncIteration:
            raise LoaderFailed("was done before sending every block") from None

    async def finish(self) -> None:
        """Wait for the helper's last frame and its exit; `LoaderFailed` when it sends more."""
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            return
        raise LoaderFailed(f"sent block {chunk.block} of partition {chunk.partition}, beyond its own")

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
