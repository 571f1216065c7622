"""A record read by a loading helper (streams/worker/watchlist/preparing.py) is applied exactly as if the
replica had read it: same index, same refusals, same held records, same nonces spent. Each case is fed
to two replicas, one the long way, one through `prepare` and the wire's msgpack, and the two compared."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any

import msgspec
import orjson
import pytest

from streams import topics
from streams.codecs.signed import signature_header, signed_message
from streams.domain.identity.registry import root_person
from streams.domain.matching.watchlist import WatchlistIndex
from streams.settings import Settings
from streams.signing import SigningKey, verify
from streams.worker.metrics import Metrics
from streams.worker.watchlist.preparing import Chunk, prepare
from streams.worker.watchlist.replica import WatchlistReplica
from streams.worker.watchlist.signed_entries import SignedEntries
from tests.unit.fixtures import NOW, entry_message
from tests.unit.worker.watchlist.test_signed_entries import ALICE, ROOT, WANDA, registration

EVE = SigningKey.generate("eve")
AT_MS = int(NOW.timestamp() * 1000)


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp: int | None = AT_MS


def signed(by: SigningKey, *, at_s: float = 0, **changes: Any) -> bytes:
    value = entry_message(**changes)
    signature = by.sign(
        topic=topics.WATCHLIST, key=value["entry_id"], value=value, now=NOW + timedelta(seconds=at_s)
    )
    return orjson.dumps(signed_message(value, signature))


def tombstone(by: SigningKey, entry_id: str, reason: str = "found") -> Record:
    signature = by.sign(topic=topics.WATCHLIST, key=entry_id, value=None, reason=reason, now=NOW)
    return Record(
        entry_id.encode(), None, [signature_header(signature), ("citygate-reason", reason.encode())]
    )


def replica(*, require_signatures: bool = True) -> WatchlistReplica:
    settings = Settings(
        registry_root_id="root", registry_root_key=ROOT.public_key_b64, require_signatures=require_signatures
    )
    entries = None
    if require_signatures:
        entries = SignedEntries(
            root_person("root", ROOT.public_key),
            verify,
            settings.signature_policy(),
            max_bytes=settings.max_message_bytes,
        )
    made = WatchlistReplica(settings, WatchlistIndex(), Metrics(), entries)
    for person, role in ((WANDA, "watchlist_admin"), (ALICE, "operator")):
        made._on_registry(Record(person.person_id.encode(), registration(person, role), timestamp=AT_MS - 1))  # type: ignore[arg-type]
    return made


def through_the_wire(made: WatchlistReplica, record: Record) -> None:
    prepared = prepare(
        record.key,
        record.value,
        record.headers,
        record.timestamp,
        signed=made.signed is not None,
        bounds=made.bounds,
        max_bytes=made.settings.max_message_bytes,
    )
    frame = msgspec.msgpack.encode(Chunk(0, 1, [prepared]))
    for again in msgspec.msgpack.decode(frame, type=Chunk).records:
        made._on_prepared(again)


def state(made: WatchlistReplica) -> dict[str, object]:
    refused = {
        sample.labels["reason"]: sample.value
        for metric in made.metrics.watchlist_refused.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }
    signed_entries = made.signed
    return {
        "entries": sorted(made.index, key=lambda e: e.entry_id),
        "matchable": sorted(e.entry_id for e in made.index if made.confirm(e)),
        "skipped": made.skipped_invalid,
        "refused": refused,
        "held": None if signed_entries is None else sorted(str(k) for k in signed_entries.held),
        "nonces": None if signed_entries is None else len(signed_entries.nonces),
    }


REPLAYED = signed(WANDA, entry_id="WL-7")
ALTERED = orjson.dumps({**orjson.loads(signed(WANDA, entry_id="WL-8")), "plate": "苏K99999"})

CASES: dict[str, list[Record]] = {
    "valid entries, one updated": [
        Record(b"WL-1", signed(WANDA)),
        Record(b"WL-2", signed(WANDA, entry_id="WL-2", plate="苏KA2345", covert=True)),
        Record(b"WL-1", signed(WANDA, at_s=1, plate="苏K54321", priority=2.0)),
    ],
    "a replay": [Record(b"WL-7", REPLAYED), Record(b"WL-7", REPLAYED)],
    "unsigned": [Record(b"WL-1", orjson.dumps(entry_message()))],
    "an operator may not list": [Record(b"WL-1", signed(ALICE))],
    "unknown signer is held": [Record(b"WL-1", signed(EVE))],
    "altered after signing": [Record(b"WL-8", ALTERED)],
    "key differs from entry_id": [Record(b"WL-9", signed(WANDA))],
    "bad plate": [Record(b"WL-1", signed(WANDA, plate="not a plate!"))],
    "expired before listing": [
        Record(
            b"WL-1",
            signed(
                WANDA,
                valid_from=(NOW - timedelta(days=3)).isoformat(),
                valid_until=(NOW - timedelta(days=2)).isoformat(),
            ),
        )
    ],
    "not JSON": [Record(b"WL-1", b"{nope")],
    "no broker time": [Record(b"WL-1", signed(WANDA), timestamp=None)],
    "bad signature encoding": [
        Record(
            b"WL-1",
            orjson.dumps(
                {
                    **orjson.loads(signed(WANDA)),
                    "signature": {**orjson.loads(signed(WANDA))["signature"], "ed25519": "!!"},
                }
            ),
        )
    ],
    "tombstones": [
        Record(b"WL-1", signed(WANDA)),
        Record(b"WL-2", signed(WANDA, entry_id="WL-2", plate="苏KB2345")),
        Record(b"WL-2", None),  # unsigned: refused
        tombstone(WANDA, "WL-1"),
    ],
}


@pytest.mark.parametrize("records", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("require_signatures", [True, False], ids=["signed", "unsigned"])
def test_a_prepared_record_is_applied_as_if_read_here(
    records: list[Record], require_signatures: bool
) -> None:
    here, helped = (
        replica(require_signatures=require_signatures),
        replica(require_signatures=require_signatures),
    )
    for record in records:
        here._on_entry(record)
        through_the_wire(helped, record)
    assert state(helped) == state(here)


def test_the_cases_cover_ready_and_long_way_records() -> None:
    """The comparison above means something only if both kinds are among its records."""
    made = replica()
    kinds = {
        prepare(
            r.key, r.value, r.headers, r.timestamp, signed=True, bounds=made.bounds, max_bytes=1 << 16
        ).ready
        is not None
        for records in CASES.values()
        for r in records
    }
    assert kinds == {True, False}
    assert len(replica().index) == 0  # registrations alone list nothing


def test_a_ready_entry_keeps_its_times_offsets() -> None:
    made = replica()
    valid_from = (NOW - timedelta(hours=1)).astimezone(timezone(timedelta(hours=8)))
    through_the_wire(made, Record(b"WL-1", signed(WANDA, valid_from=valid_from.isoformat())))
    (entry,) = list(made.index)
    assert entry.valid_from == valid_from and entry.valid_from.utcoffset() == timedelta(hours=8)
