"""The one place citygate touches what Faust keeps private, because no public API gives it.

- `commit_before_revoking`: Faust 0.15.3's `Consumer.on_partitions_revoked` forgets the offsets it has
  acked but not yet committed (`_acked`, up to `broker_commit_interval` of processed events) and only then
  commits, so a rebalance drops them. The events are not lost (the group reads them again), but the
  partition's committed offset stays behind: on a quiet topic (watchlist changes, calls) the lag shows
  until the next record, and when the committed offset is known, Faust's gap check (`_new_offset`) then
  refuses every later commit on that partition until the worker restarts, which replays all of it. The
  patch commits what is acked first; Faust then forgets nothing that matters.
- `idempotent_producer`: Faust 0.15.3 asks aiokafka for an idempotent producer only inside transactions
  (`processing_guarantee="exactly_once"`, which citygate does not use: it is fragile across rebalances).
  Without it, a produce request retried after a lost response (a broker restarting, a leader moving)
  appends the batch twice; the ids are deterministic so readers would cope, but the broker can prevent it.
  The patch turns idempotence on for every Faust producer (with `acks=all`, which it requires).
- `committed_offsets`: what Faust's consumer last committed (or read back on assignment) per partition, for
  consumer lag at scrape time without a broker round trip. Faust 0.15.3 keeps it in
  `Consumer._committed_offset` and offers no accessor.

Everything else the worker needs from Faust goes through public API: the assignment through the
`on_partitions_assigned` / `on_partitions_revoked` signals (`Assignment`), high-water marks through
`Consumer.highwater`. tests/unit/worker/test_faust_internals.py fails loudly when an upgrade moves any of it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import faust
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import Producer as AiokafkaProducer
from faust.types import TP

# The release these private attributes were read from; the test pins it.
KNOWN_FAUST_VERSION = "0.15.3"


_PATCHED = "_citygate_commits_first"


def commit_before_revoking() -> None:
    """Wrap Faust's `Consumer.on_partitions_revoked` once for the process to commit acked offsets first
    (idempotent; the worker installs it when its app is built)."""
    original = Consumer.on_partitions_revoked
    if getattr(original, _PATCHED, False):
        return

    @functools.wraps(original)
    async def on_partitions_revoked(self: Consumer, revoked: set[TP]) -> None:
        # Twice: a commit already under way makes the first call wait for it and return without
        # committing what was acked since.
        await self.commit()
        await self.commit()
        await original(self, revoked)

    setattr(on_partitions_revoked, _PATCHED, True)
    Consumer.on_partitions_revoked = on_partitions_revoked  # type: ignore[method-assign]


def idempotent_producer() -> None:
    """Make Faust's aiokafka producers idempotent outside transactions too (idempotent to install)."""
    original = AiokafkaProducer._settings_extra
    if getattr(original, _PATCHED, False):
        return

    @functools.wraps(original)
    def settings_extra(self: AiokafkaProducer) -> Mapping[str, Any]:
        return {**original(self), "acks": "all", "enable_idempotence": True}

    setattr(settings_extra, _PATCHED, True)
    AiokafkaProducer._settings_extra = settings_extra  # type: ignore[method-assign]


def committed_offsets(consumer: Any) -> Mapping[TP, int | None]:
    """Faust's consumer's committed offset per partition (None: never committed)."""
    offsets: Mapping[TP, int | None] = consumer._committed_offset
    return offsets


class Assignment:
    """The partitions Faust's consumer holds, learnt from Faust's public rebalance signals.

    `partitions` is None until the first assignment and during a rebalance (between revocation and the next
    assignment), when nobody can say.
    """

    def __init__(self, app: faust.App) -> None:
        self.partitions: frozenset[TP] | None = None
        app.on_partitions_revoked.connect(self._revoked)
        app.on_partitions_assigned.connect(self._assigned)

    def holds(self, tp: TP) -> bool | None:
        """Whether `tp` is held now; None while unknown."""
        return None if self.partitions is None else tp in self.partitions

    def _revoked(self, sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        self.partitions = None

    def _assigned(self, sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        (assigned,) = args  # the signal sends the whole new assignment
        self.partitions = frozenset(assigned)
