"""Operator commands: each command carries only the reasons that fit it."""

from __future__ import annotations

from typing import Any

import pytest

from streams.codecs import parse_command
from streams.domain.commands import COMMANDS, REASONS
from streams.domain.exceptions import InvalidInput


def command(name: str, reason: str | None) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "command_id": "cmd-1",
        "command": name,
        "target_id": "ld-1",
        "operator_id": "op-0012",
        "issued_at": "2026-11-29T20:03:11+08:00",
        "reason_code": reason,
    }


def test_every_command_has_its_reasons() -> None:
    assert set(REASONS) == COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_reason_of_another_command_is_refused(name: str) -> None:
    others = set().union(*REASONS.values()) - REASONS[name]
    for reason in sorted(others):
        with pytest.raises(InvalidInput) as refused:
            parse_command("ld-1", command(name, reason))
        assert refused.value.code == "invalid_value"
    for reason in sorted(REASONS[name]):
        assert parse_command("ld-1", command(name, reason)).reason_code == reason


def test_a_lockdown_is_not_lifted_with_a_staffing_reason() -> None:
    with pytest.raises(InvalidInput, match="reason_code"):
        parse_command("ld-1", command("lift_lockdown", "radio_confirmed"))
