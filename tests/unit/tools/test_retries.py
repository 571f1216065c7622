"""The retry policy of the admin tools: transient cluster states are waited out for a bounded time with a
growing wait; anything else fails at once; either way the failure is one line."""

from __future__ import annotations

import itertools

import pytest
from kafka.errors import (
    InvalidReplicationFactorError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from streams.tools.exceptions import AdminError
from streams.tools.retries import Backoff, NotYetListed, brief, retrying, transient


class Clock:
    """A monotonic clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_waits_double_from_the_first_up_to_the_cap() -> None:
    waits = list(itertools.islice(Backoff(budget_s=30, first_s=0.2, cap_s=3.0).waits(), 7))
    assert waits == pytest.approx([0.2, 0.4, 0.8, 1.6, 3.0, 3.0, 3.0])


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (KafkaConnectionError("111 ECONNREFUSED"), True),  # a killed node the metadata still lists
        (NodeNotReadyError("node 2"), True),
        (UnknownTopicOrPartitionError("t.alerts"), True),  # a node that does not list a new topic yet
        (NotYetListed("node 2 lacks t.alerts"), True),
        (InvalidReplicationFactorError("3 > 1 brokers"), False),
        (TopicAuthorizationFailedError("t.alerts"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_what_is_transient(exc: BaseException, expected: bool) -> None:
    assert transient(exc) is expected


def test_transient_failures_are_tried_again_until_one_succeeds() -> None:
    clock = Clock()
    failures = [KafkaConnectionError("111 ECONNREFUSED"), NodeNotReadyError(2), NotYetListed("node 3")]

    def action() -> str:
        if failures:
            raise failures.pop(0)
        return "done"

    backoff = Backoff(budget_s=30, first_s=0.2, cap_s=3.0)
    assert retrying(action, "listing topics", backoff, clock=clock, sleep=clock.sleep) == "done"
    assert clock.slept == pytest.approx([0.2, 0.4, 0.8])


def test_a_state_that_does_not_pass_fails_after_the_budget_with_one_line() -> None:
    clock = Clock()
    calls = 0

    def action() -> None:
        nonlocal calls
        calls += 1
        raise KafkaConnectionError("111 ECONNREFUSED")

    with pytest.raises(AdminError) as failed:
        retrying(action, "creating topics on h:1", Backoff(30, 0.2, 3.0), clock=clock, sleep=clock.sleep)
    assert str(failed.value) == (
        "creating topics on h:1 still failing after 30 s: KafkaConnectionError: 111 ECONNREFUSED"
    )
    assert sum(clock.slept) <= 30 and calls == len(clock.slept) + 1 and calls > 5
    assert failed.value.__cause__ is None and failed.value.__suppress_context__  # no chained traceback


def test_a_refusal_fails_at_once_and_a_bug_passes_unchanged() -> None:
    clock = Clock()

    def refused() -> None:
        raise InvalidReplicationFactorError("Replication factor: 3 larger than available brokers: 1.")

    with pytest.raises(AdminError, match=r"^creating topics failed: \[Error 38\] InvalidReplicationFactor"):
        retrying(refused, "creating topics", Backoff(), clock=clock, sleep=clock.sleep)
    assert clock.slept == []

    def bug() -> None:
        raise KeyError("topics")

    with pytest.raises(KeyError):
        retrying(bug, "creating topics", Backoff(), clock=clock, sleep=clock.sleep)


def test_an_error_is_told_on_one_short_line() -> None:
    assert brief(KafkaConnectionError("111\nECONNREFUSED")) == "KafkaConnectionError: 111 ECONNREFUSED"
    assert brief(NotYetListed("node 2 lacks t.a")) == "node 2 lacks t.a"
    assert brief(TimeoutError()) == "TimeoutError"
    assert len(brief(ValueError("x" * 1000))) == 300


def test_a_cluster_not_reached_at_all_fails_at_once_saying_what_to_do() -> None:
    tries = []

    def nowhere() -> None:
        tries.append(1)
        raise KafkaTimeoutError("Unable to bootstrap from ['127.0.0.1:9999']")

    with pytest.raises(AdminError, match=r"creating topics on 127\.0\.0\.1:9999 failed: no broker answered"):
        retrying(nowhere, "creating topics on 127.0.0.1:9999", Backoff(), sleep=lambda _: None)
    assert len(tries) == 1
