"""`citygate topics create|list`: citygate's public topics on the cluster."""

from __future__ import annotations

import click

from streams import topics
from streams.cli.common import load_settings


@click.group("topics")
def topics_group() -> None:
    """Create and list citygate's public topics."""


@topics_group.command("create")
def topics_create() -> None:
    """Create every public topic that does not exist yet (idempotent); check the ones that do."""
    from streams.tools.admin import apply_required_configs, create_topics, topic_problems

    settings = load_settings()
    created, existing = create_topics(settings)
    for spec in created:
        click.echo(f"created  {settings.topic(spec.name)} ({spec.partitions} partitions)")
    for spec in existing:
        click.echo(f"exists   {settings.topic(spec.name)}")
    for name, key, value in apply_required_configs(settings):
        click.echo(f"set      {name} {key}={value}")
    problems = topic_problems(settings)
    if problems:
        raise click.ClickException("; ".join(problems))


@topics_group.command("list")
def topics_list() -> None:
    """List the public topics: key, partitions, who writes and reads them, and whether they exist."""
    from streams.tools.admin import existing_topics
    from streams.tools.listings import topic_line

    settings = load_settings()
    have = existing_topics(settings)
    for spec in topics.public_topics(settings):
        name = settings.topic(spec.name)
        click.echo(topic_line(spec, name, name in have))
