"""`citygate topics create|list`: the topics citygate needs on the cluster, public and Faust's own."""

from __future__ import annotations

import click

from streams import topics
from streams.cli.common import load_settings
from streams.cli.group import CitygateGroup


@click.group("topics", cls=CitygateGroup)
def topics_group() -> None:
    """Create and list the topics citygate needs: the public ones and Faust's own."""


@topics_group.command("create")
def topics_create() -> None:
    """Create every topic that does not exist yet (idempotent); check the ones that do."""
    from streams.tools.admin import apply_required_configs, create_topics, topic_problems
    from streams.tools.exceptions import AdminError

    settings = load_settings()
    try:
        created, existing = create_topics(settings)
        for spec in created:
            click.echo(f"created  {spec.physical(settings)} ({spec.partitions} partitions)")
        for spec in existing:
            click.echo(f"exists   {spec.physical(settings)}")
        for name, key, value in apply_required_configs(settings):
            click.echo(f"set      {name} {key}={value}")
        problems = topic_problems(settings)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from None
    if problems:
        raise click.ClickException("; ".join(problems))


@topics_group.command("list")
def topics_list() -> None:
    """List the topics: key, partitions, who writes and reads them, and whether they exist."""
    from streams.tools.admin import existing_topics
    from streams.tools.exceptions import AdminError
    from streams.tools.listings import topic_line

    settings = load_settings()
    try:
        have = existing_topics(settings)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from None
    for spec in topics.worker_topics(settings):
        name = spec.physical(settings)
        click.echo(topic_line(spec, name, name in have))
