"""What citygate reads of Faust that Faust does not promise: fails loudly when an upgrade moves it.

streams/worker/faust_internals.py is the one module that touches Faust's private state; an upgrade of
faust-streaming (pinned in pyproject.toml with mode and aiokafka) must go through these tests first.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import faust
import pytest
from faust.transport.consumer import Consumer
from faust.types import TP

from streams.worker.faust_internals import (
    KNOWN_FAUST_VERSION,
    Assignment,
    commit_before_revoking,
    committed_offsets,
    idempotent_producer,
)


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


def test_faust_still_forgets_acked_offsets_on_revocation_before_it_commits() -> None:
    # What commit_before_revoking works around; when this fails, check whether the patch is still needed.
    original = getattr(Consumer.on_partitions_revoked, "__wrapped__", Consumer.on_partitions_revoked)
    source = inspect.getsource(original)
    assert source.index("self._acked.pop(tp, None)") < source.index("self._on_partitions_revoked")


async def test_revocation_commits_what_was_acked_first(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    async def faust_s_revoke(self: object, revoked: set[TP]) -> None:
        calls.append(f"revoke {sorted(revoked)}")

    monkeypatch.setattr(Consumer, "on_partitions_revoked", faust_s_revoke)
    commit_before_revoking()
    patched = Consumer.on_partitions_revoked
    commit_before_revoking()  # once per process
    assert Consumer.on_partitions_revoked is patched

    class Stand:
        async def commit(self) -> bool:
            calls.append("commit")
            return True

    await patched(Stand(), {TP("t.calls", 0)})  # type: ignore[arg-type]
    assert calls == ["commit", "commit", "revoke [TP(topic='t.calls', partition=0)]"]


async def test_faust_s_producers_are_idempotent_outside_transactions(tmp_path: Path) -> None:
    idempotent_producer()
    idempotent_producer()
    app = faust.App("idempotence-test", broker="kafka://127.0.0.1:1", datadir=str(tmp_path), loghandlers=[])
    producer = app.producer
    assert not app.in_transaction
    made = producer._new_producer()  # type: ignore[attr-defined]  # built, not started: no broker needed
    try:
        assert made._txn_manager is not None  # aiokafka's marker of an idempotent producer (acks=all)
        assert made._txn_manager.transactional_id is None  # idempotent, not transactional
    finally:
        await made.stop()
