"""No plate of a hit that matched nothing reaches a log, at any level (README's privacy promise)."""

from __future__ import annotations

import pytest

from streams import topics
from tests.integration.conftest import Cluster
from tests.integration.test_hits_to_alerts import live_entry, live_hit

pytestmark = pytest.mark.kafka

# Serials no log line could contain by chance (searched without the province character too: a log that
# prints raw bytes shows it escaped).
REFUSED = "苏E5Q5W5Z"  # a large new-energy serial must end in D or F
UNMATCHED = [f"苏E{n}Q{n}W{n}" for n in range(10)]  # valid plates: matched against the list, not refused


def test_a_debug_log_holds_no_plate_of_an_unmatched_hit(cluster: Cluster) -> None:
    cluster.env["CITYGATE_LOG_LEVEL"] = "debug"
    cluster.send(topics.WATCHLIST, live_entry("WL-P1", "苏K11111"), key="WL-P1")
    cluster.flush()
    worker = cluster.start_worker()
    worker.wait_healthy()
    cluster.wait_past_listing()
    for n, plate in enumerate(UNMATCHED):
        site = f"YZ-EC-{n:04d}"
        cluster.send(topics.HITS, live_hit(f"u{n}", plate, checkpoint_id=site), key=site)
    # Refused ones too: a dead letter holds the plate, and the producer that sends it must not log it.
    # (the refusal's detail quotes the plate)
    cluster.send(topics.HITS, live_hit("bad", REFUSED, checkpoint_id="YZ-EC-0007"), key="YZ-EC-0007")
    cluster.send(topics.HITS, b'{"plate_text": "\\u82cfE8Q8W8", "broken": ', key="YZ-EC-0001")
    cluster.send(topics.HITS, live_hit("m1", "苏K11111", checkpoint_id="YZ-EC-0100"), key="YZ-EC-0100")
    cluster.flush()
    cluster.read(topics.ALERTS, until=lambda m: len(m) >= 1, settle=2)  # everything before it was handled
    worker.stop()  # its output is flushed when it exits
    log = worker.log_path.read_text(encoding="utf-8", errors="replace")
    assert "DEBUG" in log  # the worker did log at debug level
    leaked = [plate for plate in [*UNMATCHED, REFUSED] if plate[1:] in log]
    assert not leaked, f"unmatched plates in the worker's log: {leaked}"
