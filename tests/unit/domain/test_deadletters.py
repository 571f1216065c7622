import base64

import pytest

from streams.codecs import decode_key, decode_object
from streams.domain.deadletters import deadletter_message
from streams.domain.exceptions import InvalidInput
from tests.unit.fixtures import NOW


def envelope(value: bytes | None, keep: int = 16) -> dict[str, object]:
    return deadletter_message(
        topic="anpr.hits",
        partition=1,
        offset=7,
        timestamp_ms=1764417600000,
        key=b"YZ-EC-0001",
        value=value,
        code="malformed_json",
        detail="not JSON",
        now=NOW,
        keep_bytes=keep,
    )


def test_envelope_keeps_original_bytes_and_origin() -> None:
    message = envelope(b"{oops")
    assert base64.b64decode(str(message["value_b64"])) == b"{oops"
    assert message["value_size"] == 5 and message["value_truncated"] is False
    assert message["source"] == {
        "topic": "anpr.hits",
        "partition": 1,
        "offset": 7,
        "timestamp_ms": 1764417600000,
        "key_b64": base64.b64encode(b"YZ-EC-0001").decode(),
    }


def test_envelope_truncates_large_values_but_says_how_large() -> None:
    message = envelope(b"x" * 100, keep=16)
    assert base64.b64decode(str(message["value_b64"])) == b"x" * 16
    assert message["value_size"] == 100 and message["value_truncated"] is True


def test_null_value_is_representable() -> None:
    message = envelope(None)
    assert message["value_b64"] is None and message["value_size"] == 0


def test_unknown_reason_code_is_a_bug() -> None:
    with pytest.raises(ValueError, match="reason code"):
        deadletter_message(
            topic="t",
            partition=0,
            offset=0,
            timestamp_ms=None,
            key=None,
            value=b"",
            code="oops",
            detail="",
            now=NOW,
            keep_bytes=1,
        )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe{}", "malformed_json"),
        (b"[1,2]", "not_an_object"),
        (b'"text"', "not_an_object"),
        (b"null", "not_an_object"),
        (None, "malformed_json"),
        (b'{"a": "' + b"x" * 2000 + b'"}', "oversized"),
    ],
)
def test_decode_refuses_what_is_not_a_json_object(raw: bytes | None, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_object(raw, max_bytes=1024)
    assert caught.value.code == code


def test_keys_must_be_utf8() -> None:
    assert decode_key("苏K".encode()) == "苏K" and decode_key(None) is None
    with pytest.raises(InvalidInput):
        decode_key(b"\xff")


def test_a_watchlist_record_upserts_a_tombstone_deletes_and_a_bad_record_changes_nothing() -> None:
    import orjson

    from streams.codecs import apply_watchlist_record
    from streams.domain.matching.watchlist import WatchlistIndex
    from tests.unit.fixtures import entry_message

    index = WatchlistIndex()
    assert apply_watchlist_record(index, b"WL-1", orjson.dumps(entry_message()), max_bytes=4096)
    assert [e.entry_id for e in index] == ["WL-1"]
    assert not apply_watchlist_record(index, b"WL-1", b"{broken", max_bytes=4096)
    assert not apply_watchlist_record(
        index, b"WL-2", orjson.dumps(entry_message()), max_bytes=4096
    )  # key != id
    assert len(index) == 1
    assert apply_watchlist_record(index, b"WL-1", None, max_bytes=4096) and len(index) == 0
    assert not apply_watchlist_record(index, None, None, max_bytes=4096)
