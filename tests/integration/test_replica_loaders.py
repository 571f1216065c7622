"""A large watchlist is loaded with helper processes (streams/worker/watchlist/loader.py), on the real
broker: the replica ends with exactly the index it builds alone, goes on reading the topic after the
helpers are done, and takes over the partitions of a helper that fails to start or dies mid-way."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from streams import topics
from streams.domain.matching.watchlist import WatchlistEntry, WatchlistIndex
from streams.settings import Settings
from streams.signing import SigningKey, verify
from streams.worker.command_side.signed_inputs import registry_root
from streams.worker.metrics import Metrics
from streams.worker.watchlist import loader
from streams.worker.watchlist.replica import WatchlistReplica
from streams.worker.watchlist.signed_entries import SignedEntries
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry

pytestmark = pytest.mark.kafka

ENTRIES = 600


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 100 offsets: the list is dealt out to both helpers in turn, as a large one is."""
    monkeypatch.setattr(loader, "BLOCK_OFFSETS", 100)


# A helper that sends its first chunk, then half a frame, and dies (run as the loader's code).
DIES_MID_WAY = """
import os
from streams.worker.watchlist import loader
sent = []
whole = loader._write
def _write(out, frame):
    if sent:
        out.write(loader._LENGTH.pack(len(frame)) + frame[:7]); out.flush(); os._exit(9)
    sent.append(frame)
    whole(out, frame)
loader._write = _write
raise SystemExit(loader.main())
"""


def fill(cluster: Cluster) -> None:
    """A list with what a real one holds besides valid entries: updates, forgeries, junk, a deletion
    (`cluster.send` signs as the tests' officer unless told otherwise)."""
    for n in range(ENTRIES):
        cluster.send(topics.WATCHLIST, live_entry(f"WL-L{n}", f"苏K{n:05d}"), key=f"WL-L{n}")
    cluster.send(topics.WATCHLIST, live_entry("WL-L1", "苏KU0001"), key="WL-L1")  # an update
    cluster.send(topics.WATCHLIST, None, key="WL-L2")  # a deletion
    eve = SigningKey.generate("eve")
    cluster.send(topics.WATCHLIST, live_entry("WL-EVE", "苏KE0001"), key="WL-EVE", signed_by=eve)
    cluster.send(topics.WATCHLIST, live_entry("WL-UNSIGNED", "苏KN0001"), key="WL-UNSIGNED", signed_by=False)
    cluster.send(topics.WATCHLIST, b"{nope", key="WL-JUNK", signed_by=False)
    cluster.flush()


def make_replica(settings: Settings) -> WatchlistReplica:
    entries = SignedEntries(
        registry_root(settings), verify, settings.signature_policy(), max_bytes=settings.max_message_bytes
    )
    return WatchlistReplica(settings, WatchlistIndex(), Metrics(), entries)


async def load(
    cluster: Cluster, settings: Settings, then: dict[str, object] | None = None
) -> tuple[list[WatchlistEntry], int]:
    """(the index once ready, and after `then` is listed if given; records skipped as invalid)."""
    replica = make_replica(settings)
    await replica.start()
    try:
        await asyncio.wait_for(replica.wait_ready(), timeout=60)
        if then is not None:
            entry_id = str(then["entry_id"])
            cluster.send(topics.WATCHLIST, then, key=entry_id)
            cluster.flush()
            async with asyncio.timeout(30):
                while replica.index.get(entry_id) is None:
                    await asyncio.sleep(0.05)
        assert replica.signed is not None and list(replica.signed.held) == [b"WL-EVE"]
        return sorted(replica.index, key=lambda e: e.entry_id), replica.skipped_invalid
    finally:
        await replica.stop()


def helped(cluster: Cluster) -> Settings:
    return replace(cluster.settings, replica_loaders=2, replica_loader_min_records=1)


def test_helpers_load_what_the_worker_loads_alone_and_it_reads_on(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="streams.worker.watchlist.replica")
    fill(cluster)
    alone, skipped_alone = asyncio.run(load(cluster, replace(cluster.settings, replica_loaders=0)))
    later = live_entry("WL-LATER", "苏KL0001")
    with_helpers, skipped = asyncio.run(load(cluster, helped(cluster), then=later))
    assert len(alone) == ENTRIES - 1 and skipped_alone == 0  # the junk is skipped before it is an entry
    assert [e for e in with_helpers if e.entry_id != "WL-LATER"] == alone and skipped == skipped_alone
    assert "WL-LATER" in {e.entry_id for e in with_helpers}  # read by the replica after the handover
    assert f"2 loading helpers prepared {ENTRIES + 5} records" in caplog.text
    assert "with 2 loading helpers" in caplog.text and "a loading helper of" not in caplog.text


@pytest.mark.parametrize(
    ("code", "status"),
    [("raise SystemExit(3)", 3), (DIES_MID_WAY, 9)],
    ids=["fails-at-start", "dies-mid-frame"],
)
def test_the_worker_takes_over_from_a_helper_that_fails(
    cluster: Cluster,
    code: str,
    status: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fill(cluster)
    alone, _ = asyncio.run(load(cluster, replace(cluster.settings, replica_loaders=0)))
    monkeypatch.setattr(loader, "LOADER_CODE", code)
    with_helpers, _ = asyncio.run(load(cluster, helped(cluster), then=live_entry("WL-LATER", "苏KL0001")))
    assert [e for e in with_helpers if e.entry_id != "WL-LATER"] == alone
    assert "WL-LATER" in {e.entry_id for e in with_helpers}
    assert f"stopped before its last frame (exit status {status})" in caplog.text


def test_a_helper_dies_with_its_worker(cluster: Cluster) -> None:
    """The helper of a worker killed mid-load does not go on reading (PR_SET_PDEATHSIG): killed once it
    has sent its first block, while it waits for the second (so it writes nothing that would fail)."""
    fill(cluster)
    parent = subprocess.Popen(  # a stand-in worker: starts a helper, then waits to be killed
        [
            sys.executable,
            "-c",
            "import asyncio, pickle, sys\n"
            f"ENTRIES = {ENTRIES}\n"
            "from streams.worker.watchlist.loader import Loader, LoadJob\n"
            "from streams.worker.watchlist.retro_reader import Range\n"
            "settings = pickle.loads(bytes.fromhex(sys.argv[1]))\n"
            "async def main():\n"
            "    job = LoadJob(settings, [Range(0, 0, 10**9)], True, block_offsets=ENTRIES)\n"
            "    helper = await Loader.start(job)\n"
            "    await helper.next_chunk()\n"  # running, and past asking to die with its parent
            "    print(helper.process.pid, flush=True)\n"
            "    await asyncio.sleep(600)\n"
            "asyncio.run(main())\n",
            pickle.dumps(cluster.settings).hex(),
        ],
        stdout=subprocess.PIPE,
    )
    assert parent.stdout is not None
    helper_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(helper_pid, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{helper_pid}/stat") as stat:
            if stat.read().split()[2] == "Z":  # a zombie: dead, not yet reaped
                break
        time.sleep(0.1)
    else:
        os.kill(helper_pid, signal.SIGKILL)
        pytest.fail("the helper outlived its worker")
