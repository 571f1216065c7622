"""`scenario run` checks the outcomes as they come: done as soon as all are met, looking on a little longer
when a late message could still break one (an exact count), and failing at its deadline, never later."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streams.tools import scenario
from streams.tools.scenario import Outcome, await_outcomes, breakable


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def checks(clock: Clock, *timeline: tuple[float, list[bool]]) -> Callable[[], list[Outcome]]:
    """A `verify` whose outcomes are met as of the given times: (from when, [met, ...])."""

    def check() -> list[Outcome]:
        current = [met for since, met in timeline if since <= clock.now][-1]
        return [Outcome(f"outcome {n}", m, None) for n, m in enumerate(current)]

    return check


def wait(check: Callable[[], list[Outcome]], clock: Clock, *, exact: bool) -> list[Outcome]:
    return await_outcomes(
        check, breakable=exact, timeout_s=30, settle_s=3, every_s=0.5, clock=clock, sleep=clock.sleep
    )


def test_an_outcome_that_lands_late_is_waited_for_and_no_longer() -> None:
    clock = Clock()
    outcomes = wait(checks(clock, (0, [True, False]), (4.2, [True, True])), clock, exact=False)
    assert all(o.met for o in outcomes) and clock.now == pytest.approx(4.5)


def test_a_scenario_that_is_not_met_fails_at_the_deadline() -> None:
    clock = Clock()
    outcomes = wait(checks(clock, (0, [True, False])), clock, exact=False)
    assert [o.met for o in outcomes] == [True, False] and 29.5 <= clock.now <= 30


def test_an_exact_count_is_judged_again_after_the_settle_time() -> None:
    clock = Clock()
    broken_late = checks(clock, (0, [False, True]), (1.0, [True, True]), (2.5, [True, False]))
    assert [o.met for o in wait(broken_late, clock, exact=True)] == [True, False]
    assert clock.now == pytest.approx(1.0 + 3)
    clock = Clock()
    assert all(o.met for o in wait(checks(clock, (0, [True, True])), clock, exact=True))
    assert clock.now == pytest.approx(3)


def test_with_no_time_to_wait_the_outcomes_are_checked_once() -> None:
    clock = Clock()
    outcomes = await_outcomes(
        checks(clock, (0, [False])), breakable=False, timeout_s=0, settle_s=0, clock=clock, sleep=clock.sleep
    )
    assert [o.met for o in outcomes] == [False] and clock.now == 0


def test_which_seed_scenarios_have_an_outcome_a_late_message_can_break() -> None:
    assert {name: breakable(scenario.load(name)) for name in scenario.available()} == {
        "baoji_guard_report": False,
        "lianshui_lookout": False,
        "lotus_pond_drill": True,  # "the second call merged (one lockdown)": exactly one raised
    }
