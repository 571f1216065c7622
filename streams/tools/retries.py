"""Trying an admin request again while the cluster is in a state that passes by itself, for a bounded time.

kafka-python's admin client sends each request to one node it picks from the cluster metadata, and that
metadata lists a killed node until the controller fences it (`broker.session.timeout.ms`: ~6 s on
deploy/local's cluster): such a request fails with `KafkaConnectionError` or `NodeNotReadyError`. A node may
also not know a topic created a moment ago through another (`UnknownTopicOrPartitionError`). kafka-python
marks all of these `retriable`; anything else is no passing state and fails at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from kafka.errors import KafkaError, KafkaTimeoutError

from streams.tools.exceptions import AdminError

T = TypeVar("T")


class NotYetListed(Exception):  # noqa: N818 - a state to wait out, not an error
    """Some node does not list a topic yet; the message says which (see `retrying`)."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to keep trying (`budget_s` from the first try), and the waits between tries: from `first_s`,
    doubling up to `cap_s`."""

    budget_s: float = 30.0
    first_s: float = 0.2
    cap_s: float = 3.0

    def waits(self) -> Iterator[float]:
        wait = self.first_s
        while True:
            yield wait
            wait = min(self.cap_s, wait * 2)


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` is a client that reached no node of its bootstrap list at all (within its bootstrap
    timeout): nothing there, or the wrong address; trying again only makes the operator wait."""
    return isinstance(exc, KafkaTimeoutError) and "bootstrap" in str(exc).lower()


def transient(exc: BaseException) -> bool:
    """Whether `exc` is a state of the cluster that passes by itself (a dead node not fenced yet, a node
    that does not know a new topic yet)."""
    if unreachable(exc):
        return False
    return isinstance(exc, NotYetListed) or (isinstance(exc, KafkaError) and bool(exc.retriable))


def brief(exc: BaseException) -> str:
    """`exc` on one short line, with its class (kafka-python's str already starts with it) unless it is a
    state the message tells in words (`NotYetListed`)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    named = isinstance(exc, NotYetListed) or text.startswith((type(exc).__name__, "[Error"))
    if not named:
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= 300 else text[:297] + "..."


def retrying(
    action: Callable[[], T],
    what: str,
    backoff: Backoff,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`action()`, tried again after each transient failure until `backoff.budget_s` has passed. Then, or at
    once for any other Kafka error or an `AdminError` of the action's, an `AdminError` saying `what` failed
    and why; other exceptions (bugs) pass unchanged."""
    deadline = clock() + backoff.budget_s
    waits = backoff.waits()
    while True:
        try:
            return action()
        except AdminError as exc:  # the action's own verdict: a refusal it read from a response
            raise AdminError(f"{what} failed: {exc}") from None
        except (KafkaError, NotYetListed) as exc:
            if unreachable(exc):
                raise AdminError(
                    f"{what} failed: no broker answered; start one (deploy/local/kafka start) or point "
                    "KAFKA_BOOTSTRAP / --bootstrap-server at yours"
                ) from None
            if not transient(exc):
                raise AdminError(f"{what} failed: {brief(exc)}") from None
            wait = next(waits)
            if clock() + wait > deadline:
                raise AdminError(
                    f"{what} still failing after {backoff.budget_s:.0f} s: {brief(exc)}"
                ) from None
        sleep(wait)
