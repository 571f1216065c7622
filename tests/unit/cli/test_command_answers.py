"""`citygate alert|lift|staff` wait for the worker's answer and `watchlist remove` takes only listed ids:
the CLI's side, with the Kafka clients replaced by stand-ins (tests/integration/test_command_answers.py runs
them against a real broker and worker)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from streams.cli import main
from streams.tools import answers, kafka_io

LOCKDOWN = "ld-7c22a4ae24773cef873f"
ALERTS = {"al-9684a247e3770f8ab6e9279d", "al-9684a2470000000000000000", "al-1234567890abcdef12345678"}


class Wire:
    """What was sent, in order with the watch being opened, and what the worker answers."""

    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer
        self.events: list[str] = []
        self.sent: list[tuple[str, bytes, dict[str, Any]]] = []
        self.waited: list[tuple[str, float]] = []


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    found = Wire({"outcome": "applied", "reason": None})

    def produce(settings: Any, topic: str, records: Any, headers: Any = None) -> int:
        for key, value in records:
            found.events.append("send")
            found.sent.append((topic, key, None if value is None else orjson.loads(value)))
        return 1

    class Watch:
        def __init__(self, settings: Any) -> None:
            found.events.append("watch")

        def wait(self, command_id: str, timeout_s: float) -> dict[str, Any] | None:
            found.waited.append((command_id, timeout_s))
            return found.answer

        def __enter__(self) -> Watch:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    lockdowns = [(LOCKDOWN.encode(), orjson.dumps({"lockdown_id": LOCKDOWN, "status": "active"}))]
    monkeypatch.setattr(kafka_io, "produce", produce)
    monkeypatch.setattr(answers, "AnswerWatch", Watch)
    monkeypatch.setattr(kafka_io, "read_to_end", lambda settings, topic: iter(lockdowns))
    monkeypatch.setattr(
        kafka_io, "keys_since", lambda settings, topic, since: set(ALERTS) if topic == "alerts" else set()
    )
    return found


def run(*args: str) -> Result:
    env = {"KAFKA_BOOTSTRAP": "127.0.0.1:1", "CITYGATE_OPERATOR_KEY_FILE": ""}
    return CliRunner().invoke(main, list(args), env=env)


def test_an_applied_command_exits_0_and_the_watch_was_open_before_the_send(wire: Wire) -> None:
    done = run("lift", "ld-7c22", "--reason", "false_alarm", "--by", "carol")
    assert done.exit_code == 0, done.output
    [(topic, key, message)] = wire.sent
    assert (topic, key, message["target_id"]) == ("operator.commands", LOCKDOWN.encode(), LOCKDOWN)
    assert wire.events == ["watch", "send"]
    assert wire.waited == [(message["command_id"], 10.0)]
    assert done.output.splitlines()[-1] == f"lift_lockdown {LOCKDOWN} applied"


def test_a_refusal_exits_1_with_the_reason(wire: Wire) -> None:
    wire.answer = {"outcome": "refused", "reason": {"code": "not_authorised", "detail": "alice may not"}}
    done = run("lift", LOCKDOWN, "--reason", "false_alarm", "--by", "alice")
    assert done.exit_code == 1
    assert (
        done.output.splitlines()[-1]
        == f"Error: lift_lockdown {LOCKDOWN} refused (not_authorised): alice may not"
    )


def test_no_answer_exits_2_and_says_so(wire: Wire) -> None:
    wire.answer = None
    done = run("alert", "accept", "al-1234", "--by", "op", "--wait-timeout", "3")
    assert done.exit_code == 2
    assert done.output.splitlines()[-1] == "Error: no worker answered within 3 s: is a worker running?"
    assert wire.waited[0][1] == 3.0 and wire.sent[0][2]["target_id"] == "al-1234567890abcdef12345678"


def test_no_wait_sends_and_exits_0_without_watching(wire: Wire) -> None:
    done = run("alert", "reject", "al-1234", "--by", "op", "--reason", "misread", "--no-wait")
    assert done.exit_code == 0, done.output
    assert wire.events == ["send"] and "sent (cmd-" in done.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["alert", "accept", "al-9684a247", "--by", "op"],
            "alert 'al-9684a247' is ambiguous: it starts 2 ids",
        ),
        (["alert", "accept", "al-ffff", "--by", "op"], "no alert 'al-ffff'"),
        (["lift", "ld-0000", "--reason", "other", "--by", "c"], "no lockdown 'ld-0000'"),
        (["staff", "BP-012", "--by", "op"], "no point of an active lockdown 'BP-012'"),
    ],
)
def test_an_unknown_or_ambiguous_id_is_refused_before_anything_is_sent(
    wire: Wire, args: list[str], says: str
) -> None:
    done = run(*args)
    assert done.exit_code == 1 and says in done.output, done.output
    assert len(done.output.strip().splitlines()) == 1 and "Traceback" not in done.output
    assert wire.events == []


def test_watchlist_remove_refuses_an_id_that_is_not_listed(
    wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kafka_io, "read_watchlist", lambda settings: {"WL-abc": object(), "WL-abd": object()})
    done = run("watchlist", "remove", "WL-zzz", "--by", "o", "--reason", "r")
    assert done.exit_code == 1 and "no listed watchlist entry 'WL-zzz'" in done.output
    assert wire.sent == []
    done = run("watchlist", "remove", "WL-abc", "--by", "o", "--reason", "r")
    assert done.exit_code == 0 and wire.sent == [("watchlist.entries", b"WL-abc", None)]
