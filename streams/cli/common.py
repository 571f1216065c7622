"""What the commands share: settings from the environment (a bad one is a one-line error), choices taken
from the domain's own constants, and sending an operator command."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

import click
import orjson

from streams import topics
from streams.settings import Settings, SettingsError


def load_settings() -> Settings:
    """Settings from the environment, read when a command runs (never at import)."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def choice(options: Collection[str]) -> click.Choice[str]:
    """The domain's options (a set) in a fixed order for help and errors: by name, the catch-all last."""
    return click.Choice(sorted(options, key=lambda option: (option == "other", option)))


def send_command(target_id: str, command: str, operator: str, reason: str | None, note: str | None) -> None:
    """Check and send one operator command, keyed by its target; print its id."""
    from streams.domain.exceptions import InvalidInput
    from streams.tools.kafka_io import produce
    from streams.tools.messages import operator_command

    try:
        message = operator_command(
            command=command,
            target_id=target_id,
            operator_id=operator,
            reason_code=reason,
            note=note,
            now=datetime.now(UTC),
        )
    except InvalidInput as exc:
        raise click.ClickException(exc.detail) from None
    produce(load_settings(), topics.OPERATOR_COMMANDS, [(target_id.encode(), orjson.dumps(message))])
    click.echo(f"{command} {target_id} sent ({message['command_id']})")
