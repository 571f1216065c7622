"""The one place citygate reads state that Faust keeps private, because no public API gives it.

- `committed_offsets`: what Faust's consumer last committed (or read back on assignment) per partition, for
  consumer lag at scrape time without a broker round trip. Faust 0.15.3 keeps it in
  `Consumer._committed_offset` and offers no accessor.

Everything else the worker needs from Faust goes through public API: the assignment through the
`on_partitions_assigned` / `on_partitions_revoked` signals (`Assignment`), high-water marks through
`Consumer.highwater`. tests/unit/worker/test_faust_internals.py fails loudly when an upgrade moves any of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.types import TP

# The release these private attributes were read from; the test pins it.
KNOWN_FAUST_VERSION = "0.15.3"


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
