"""`citygate web`: the operators' web console (docs/web.md)."""

from __future__ import annotations

import click

from streams.cli.common import load_settings

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@click.command("web")
@click.option(
    "--restricted/--no-restricted",
    default=None,
    help="Read alerts.restricted for the privileged operators (default: when CITYGATE_CONSOLE_WEB_PRIVILEGED "
    "names any; the console's Kafka role must then be privileged_operator).",
)
def web(restricted: bool | None) -> None:
    """Serve the desk's live map and lists on CITYGATE_CONSOLE_WEB_HOST:CITYGATE_CONSOLE_WEB_PORT (HTTPS
    with CITYGATE_CONSOLE_WEB_TLS_CERTFILE and _KEYFILE). Operators log in with their locked keys in
    CITYGATE_CONSOLE_WEB_KEYS_DIR (`citygate operators web-key`)."""
    import asyncio
    import logging

    from aiokafka.errors import KafkaError

    from streams.topics import MissingTopic
    from streams.topology_file import load_topology
    from streams.web.server import serve

    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not settings.console_web_keys_dir:
        logging.getLogger(__name__).warning(
            "CITYGATE_CONSOLE_WEB_KEYS_DIR is not set: nobody can log in to the web console"
        )
    if not settings.console_web_tls_certfile and settings.console_web_host not in LOOPBACK:
        logging.getLogger(__name__).warning(
            "the web console listens on %s over plain HTTP: passphrases cross the network in clear unless "
            "a TLS-terminating proxy is in front (or set CITYGATE_CONSOLE_WEB_TLS_CERTFILE and _KEYFILE)",
            settings.console_web_host,
        )
    read_restricted = bool(settings.console_web_privileged_ids()) if restricted is None else restricted
    topology = load_topology(settings)
    try:
        asyncio.run(serve(settings, topology, restricted=read_restricted))
    except KeyboardInterrupt:
        pass
    except MissingTopic as missing:
        raise click.ClickException(f"topic {missing} does not exist: run `citygate topics create`") from None
    except OSError as error:  # the port is taken, a certificate file is missing
        raise click.ClickException(f"the web console cannot start: {error}") from None
    except KafkaError as error:
        raise click.ClickException(f"the web console cannot read its topics: {error}") from None
