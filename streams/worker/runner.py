"""`citygate worker`'s process: Faust's worker with a bounded stop.

Asked to stop (SIGTERM, SIGINT), a worker commits what it has handled, flushes its producer and leaves its
groups. With the cluster reachable that takes a second or two. With the cluster gone, Faust waits for its
producer's request timeout and more: a stopped worker then hangs past any orchestrator's grace period and
is killed without a word. Here a stop that has not finished within `stop_grace_s` ends the process at once
with one line saying so (exit status 1, not 0: it did not stop cleanly). Nothing valid is lost by that:
offsets are committed only after what they produced was delivered, so the next owner reads the rest again
and the deterministic alert ids make any repeat a duplicate of the same alert.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

import faust
from faust.worker import Worker

log = logging.getLogger(__name__)

FORCED_EXIT_STATUS = 1


class CitygateWorker(Worker):
    """Faust's Worker, whose stop on a signal is bounded by `stop_grace_s`."""

    def __init__(self, app: faust.App, *, stop_grace_s: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.stop_grace_s = stop_grace_s
        self._deadline: threading.Timer | None = None

    def _schedule_shutdown(self, signum: signal.Signals) -> None:
        if self._deadline is None:
            # A thread, not the event loop: the loop may be what is stuck.
            self._deadline = threading.Timer(self.stop_grace_s, self._stop_took_too_long, args=(signum,))
            self._deadline.daemon = True
            self._deadline.start()
        super()._schedule_shutdown(signum)

    def _stop_took_too_long(self, signum: signal.Signals) -> None:
        message = (
            f"citygate worker: stop on {signum.name} did not finish within {self.stop_grace_s:.0f} s "
            "(CITYGATE_STOP_GRACE_S; is the cluster reachable?); exiting now, uncommitted input will be "
            "read again by the next owner"
        )
        log.error(message)
        os._exit(FORCED_EXIT_STATUS)
