"""`citygate tail`: follow an output topic, one readable line per message."""

from __future__ import annotations

import sys

import click

from streams.cli.common import load_settings
from streams.tools.render import TOPICS
from streams.topics import MissingTopic


@click.command()
@click.argument("topic", type=click.Choice(TOPICS))
@click.option("--json", "as_json", is_flag=True, help="Print each message as one JSON line.")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest message instead of new ones only.")
@click.option("--max", "max_messages", type=int, default=None, help="Stop after this many messages.")
@click.option("--timeout", type=float, default=None, help="Stop after this many seconds without a message.")
def tail(
    topic: str, as_json: bool, from_beginning: bool, max_messages: int | None, timeout: float | None
) -> None:
    """Follow TOPIC (alerts, alerts.restricted or deadletter), one readable line per message."""
    from streams.tools.kafka_io import follow
    from streams.tools.render import render_line

    try:
        for value in follow(
            load_settings(),
            topic,
            from_beginning=from_beginning,
            max_messages=max_messages,
            idle_timeout=timeout,
        ):
            click.echo(value.decode("utf-8", "replace") if as_json else render_line(topic, value))
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    except MissingTopic as exc:  # also TopicRefused: the ACLs deny this user the topic
        raise click.ClickException(str(exc)) from None
