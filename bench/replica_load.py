"""Scenario m's side-by-side load: the watchlist replica alone in a process, without and with its loading
helpers (streams/worker/watchlist/loader.py), on the same million entries in one run.

Why beside the worker's own ready time: the worker's figure mixes the replica's load with everything else a
worker starts, and a ratio of two loads measured a minute apart on this shared machine says more than two
figures from different runs. Each load runs in a fresh process (`python -m bench.replica_load N`, the
worker's environment), so page cache aside neither profits from the other.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bench.cluster import BenchError
from bench.procs import ROOT


@dataclass(frozen=True)
class ReplicaLoad:
    loaders: int
    ready_s: float
    cpu_s: float  # the replica's process
    helpers_cpu_s: float  # its helpers, together
    entries: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def measure(env: dict[str, str], loaders: int, log_dir: Path, timeout: float) -> ReplicaLoad:
    """Load the watchlist of the settings in `env` in a process of its own, with `loaders` helpers."""
    log_path = log_dir / f"replica-load-{loaders}.log"
    with log_path.open("wb") as log:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.replica_load", str(loaders)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=ROOT,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-20:]
        raise BenchError(f"replica load with {loaders} helpers exited {done.returncode}:\n" + "\n".join(tail))
    return ReplicaLoad(**json.loads(done.stdout))


async def _load(loaders: int) -> ReplicaLoad:
    from streams.domain.matching.watchlist import WatchlistIndex
    from streams.settings import Settings
    from streams.signing import verify
    from streams.worker.command_side.signed_inputs import registry_root
    from streams.worker.metrics import Metrics
    from streams.worker.watchlist.replica import WatchlistReplica
    from streams.worker.watchlist.signed_entries import SignedEntries

    settings = replace(Settings.from_env(), replica_loaders=loaders)
    signed = SignedEntries(
        registry_root(settings), verify, settings.signature_policy(), max_bytes=settings.max_message_bytes
    )
    replica = WatchlistReplica(settings, WatchlistIndex(), Metrics(), signed)
    began, cpu = time.monotonic(), time.process_time()
    await replica.start()
    await replica.wait_ready()
    ready_s, cpu_s = time.monotonic() - began, time.process_time() - cpu
    entries = len(replica.index)
    # The helpers send their last frames just after the last block: wait for them to exit and be reaped,
    # so their CPU is counted (stopping the replica at once would kill them first).
    await asyncio.gather(*replica._loader_tasks, return_exceptions=True)
    await replica.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the helpers, reaped once done
    return ReplicaLoad(
        loaders, round(ready_s, 2), round(cpu_s, 2), round(children.ru_utime + children.ru_stime, 2), entries
    )


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_load(int(sys.argv[1]))).to_dict()))
