"""`citygate worker`: run a stream-processing worker (Faust) until stopped."""

from __future__ import annotations

import click

from streams.cli.common import load_settings


@click.command()
@click.option(
    "--loglevel", "-l", default=None, help="debug, info, warning, error (default CITYGATE_LOG_LEVEL)."
)
def worker(loglevel: str | None) -> None:
    """Run a stream-processing worker (Faust) until stopped."""
    from streams.tools.admin import topic_problems
    from streams.tools.exceptions import AdminError
    from streams.topology_file import load_topology
    from streams.worker.app import build_app
    from streams.worker.memory import tune_malloc
    from streams.worker.runner import CitygateWorker

    tune_malloc()  # first: before the worker's buffers are allocated
    settings = load_settings()
    # Before any Kafka call: a bad CITYGATE_TOPOLOGY file is one line (CitygateGroup), not a worker that
    # connects, joins its groups and then dies in a traceback.
    # (Only a file can be bad: the synthetic layout is made later, so its notice never precedes an error.)
    topology = load_topology(settings) if settings.topology else None
    if settings.require_signatures:  # before any Kafka call: a missing root or key is a one-line error
        from streams.settings import SettingsError
        from streams.worker.command_side.signed_inputs import registry_root, worker_key

        try:
            registry_root(settings)
            worker_key(settings)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        problems = topic_problems(settings)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from None
    if problems:
        raise click.ClickException("; ".join(problems) + " (`citygate topics create` creates missing ones)")
    citygate = build_app(settings, topology)
    CitygateWorker(
        citygate.app,
        loglevel=loglevel or settings.log_level,
        quiet=True,
        stop_grace_s=settings.stop_grace_s,
    ).execute_from_commandline()
