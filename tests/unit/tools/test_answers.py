"""What a command prints and exits with for its answer (streams/tools/answers.py `outcome`)."""

from __future__ import annotations

from streams.tools.answers import APPLIED, NO_ANSWER, REFUSED, outcome


def test_applied_exits_0() -> None:
    found = outcome("lift_lockdown", "ld-1", {"outcome": "applied", "reason": None}, 10)
    assert (found.status, found.line) == (APPLIED, "lift_lockdown ld-1 applied") and APPLIED == 0


def test_a_refusal_exits_1_with_its_reason_on_one_line() -> None:
    reason = {"code": "not_authorised", "detail": "alice (operator) may not\nlift_lockdown: needs commander"}
    found = outcome("lift_lockdown", "ld-1", {"outcome": "refused", "reason": reason}, 10)
    assert found.status == REFUSED == 1
    assert found.line == (
        "lift_lockdown ld-1 refused (not_authorised): alice (operator) may not lift_lockdown: needs commander"
    )


def test_no_answer_exits_2_and_asks_whether_a_worker_runs() -> None:
    found = outcome("accept_hit", "al-1", None, 10.0)
    assert (found.status, found.line) == (NO_ANSWER, "no worker answered within 10 s: is a worker running?")
    assert NO_ANSWER == 2
    assert outcome("accept_hit", "al-1", None, 2.5).line.startswith("no worker answered within 2.5 s")
