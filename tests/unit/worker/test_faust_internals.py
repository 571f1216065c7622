"""What citygate reads of Faust that Faust does not promise: fails loudly when an upgrade moves it.

streams/worker/faust_internals.py is the one module that touches Faust's private state; an upgrade of
faust-streaming (pinned in pyproject.toml with mode and aiokafka) must go through these tests first.
"""

from __future__ import annotations

from pathlib import Path

import faust
from faust.transport.consumer import Consumer
from faust.types import TP

from streams.worker.faust_internals import KNOWN_FAUST_VERSION, Assignment, committed_offsets


def test_faust_is_the_release_the_internals_were_read_from() -> None:
    assert faust.__version__ == KNOWN_FAUST_VERSION, (
        f"faust-streaming {faust.__version__} is not {KNOWN_FAUST_VERSION}: check "
        "streams/worker/faust_internals.py against the new release, then update KNOWN_FAUST_VERSION"
    )


def test_the_consumer_still_keeps_its_committed_offsets_where_they_are_read() -> None:
    assert "_committed_offset" in Consumer.__annotations__

    class Stand:
        _committed_offset = {TP("t", 0): 5}

    assert committed_offsets(Stand()) == {TP("t", 0): 5}


async def test_the_assignment_follows_faust_s_public_rebalance_signals(tmp_path: Path) -> None:
    app = faust.App("internals-test", datadir=str(tmp_path), loghandlers=[])
    assignment = Assignment(app)
    tp = TP("t.ticks", 0)
    assert assignment.holds(tp) is None
    await app.on_partitions_assigned.send({tp, TP("t.alerts", 0)})
    assert assignment.holds(tp) is True and assignment.holds(TP("x", 0)) is False
    await app.on_partitions_revoked.send({tp})
    assert assignment.holds(tp) is None  # mid-rebalance: unknown
    await app.on_partitions_assigned.send({TP("t.alerts", 0)})
    assert assignment.holds(tp) is False
