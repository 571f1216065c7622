"""`citygate deploy render`: Kubernetes resources generated from the code's tables (streams/tools/deploy)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from streams.cli.common import load_settings
from streams.cli.group import CitygateGroup

# The Strimzi cluster of deploy/k8s has three brokers: every topic gets three replicas unless the
# environment names another factor (a one-broker dev cluster is patched by its overlay instead).
K8S_REPLICAS = 3


@click.group("deploy", cls=CitygateGroup)
def deploy_group() -> None:
    """Generate the deployment resources (KafkaTopics, KafkaUsers, monitoring) from the code's tables."""


@deploy_group.command("render")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("deploy/k8s/base/generated"),
    show_default=True,
    help="The folder of generated files (its other files are removed).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The repository, where deploy/prometheus/rules.yml and deploy/grafana/citygate.json are read.",
)
@click.option("--cluster", default="citygate", show_default=True, help="The Strimzi Kafka cluster's name.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff when the folder differs.")
def render_command(out: Path, root: Path, cluster: str, check: bool) -> None:
    """Render a KafkaTopic per topic, a KafkaUser per role, the PrometheusRule and the dashboard ConfigMap.

    Names come from the environment like every command (CITYGATE_TOPIC_PREFIX, CITYGATE_APP_ID, the
    retention and partition settings); replicas from CITYGATE_REPLICATION_FACTOR, else 3."""
    from streams.tools.deploy.monitoring import MonitoringSourceError
    from streams.tools.deploy.render import differences, render, write
    from streams.tools.deploy.strimzi import NotAnObjectName

    settings = load_settings()
    if not os.environ.get("CITYGATE_REPLICATION_FACTOR"):
        settings = replace(settings, replication_factor=K8S_REPLICAS)
    try:
        files = render(settings, root, cluster)
    except (MonitoringSourceError, NotAnObjectName, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if check:
        found = differences(out, files)
        if found:
            click.echo("".join(found), nl=False)
            raise click.ClickException(f"{out} is stale: run `citygate deploy render --out {out}`")
        click.echo(f"{out}: {len(files)} files up to date")
        return
    for path in write(out, files):
        click.echo(f"wrote    {path}")
