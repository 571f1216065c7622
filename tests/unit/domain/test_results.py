"""The answer to an operator command (streams/domain/results.py) and the refusals that make one: pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.domain.results import command_result, one_line

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PLACE = {"source_topic": "operator.commands", "source_partition": 0, "source_offset": 9, "now": NOW}


def test_a_refusal_s_detail_is_one_line_and_never_empty() -> None:
    assert one_line("no lockdown\n  ld-1\r\n") == "no lockdown ld-1"
    assert one_line(" \n ") == "refused"
    assert len(one_line("x" * 5000)) == 1000


def test_an_applied_answer_has_no_reason_and_names_who_did_what() -> None:
    found = command_result(
        command_id="cmd-1",
        command="lift_lockdown",
        target_id="ld-1",
        operator_id="carol",
        refusal=None,
        **PLACE,
    )
    assert found["outcome"] == "applied" and found["reason"] is None
    assert found["source"] == {"topic": "operator.commands", "partition": 0, "offset": 9}
    assert found["decided_at"] == NOW.isoformat()


def test_an_applied_answer_needs_its_command_target_and_operator() -> None:
    with pytest.raises(ValueError, match="names its command"):
        command_result(command_id="c", command=None, target_id="t", operator_id="o", refusal=None, **PLACE)


def test_a_refusal_carries_a_dead_letter_code() -> None:
    found = command_result(
        command_id="c", command=None, target_id=None, operator_id=None, refusal=("replayed", "again"), **PLACE
    )
    assert found["outcome"] == "refused" and found["reason"] == {"code": "replayed", "detail": "again"}
    with pytest.raises(ValueError, match="unknown dead-letter reason code"):
        command_result(
            command_id="c", command=None, target_id=None, operator_id=None, refusal=("nope", "x"), **PLACE
        )
