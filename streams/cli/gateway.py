"""`citygate gateway` (the HTTP ingestion gateway, and its keys) and `citygate cameras` (its registry)."""

from __future__ import annotations

from pathlib import Path

import click

from streams.cli.common import load_settings
from streams.cli.group import CitygateGroup


def _one_line(error: Exception) -> click.ClickException:
    return click.ClickException(str(error))


@click.group("gateway", cls=CitygateGroup, invoke_without_command=True)
@click.pass_context
def gateway_group(ctx: click.Context) -> None:
    """Run the HTTP gateway for cameras (with no subcommand), or manage its keys.

    Listens on CITYGATE_GATEWAY_HOST:CITYGATE_GATEWAY_PORT (HTTPS with CITYGATE_GATEWAY_TLS_CERTFILE and
    _KEYFILE): POST /v1/hits, /v1/openalpr, /v1/platerecognizer; GET /health, /metrics.
    """
    if ctx.invoked_subcommand is not None:
        return
    import asyncio
    import logging

    from streams.gateway.server import serve
    from streams.topology_file import load_topology

    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    topology = load_topology(settings)
    try:
        asyncio.run(serve(settings, topology))
    except OSError as error:  # the port is taken, a certificate file is missing
        raise click.ClickException(f"the gateway cannot start: {error}") from None


@gateway_group.group("key", cls=CitygateGroup)
def key_group() -> None:
    """The gateways' API keys (stored as digests on gateway.keys)."""


@key_group.command("add")
@click.argument("gateway_id")
def key_add(gateway_id: str) -> None:
    """Make a key for GATEWAY_ID (who holds it) and print it, once: it is stored nowhere."""
    import re

    from streams.tools.exceptions import AdminError
    from streams.tools.gateway_admin import add_key

    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", gateway_id):
        raise click.ClickException(f"GATEWAY_ID {gateway_id[:40]!r} must be 1..64 of A-Z a-z 0-9 . _ -")
    try:
        record, key = add_key(load_settings(), gateway_id)
    except AdminError as error:
        raise _one_line(error) from None
    click.echo(key)
    click.echo(
        f"key {record.key_id} for {gateway_id}: give it to the gateway now, it is not shown again "
        "(send it as Authorization: Bearer <key>)",
        err=True,
    )


@key_group.command("list")
def key_list() -> None:
    """Every key: id, holder, made, status (never the key)."""
    from streams.tools.gateway_admin import read_keys

    for record in sorted(read_keys(load_settings()).values(), key=lambda r: (r.gateway_id, r.created_at)):
        click.echo(f"{record.key_id}  {record.gateway_id:<24} {record.created_at}  {record.status}")


@key_group.command("revoke")
@click.argument("key_id")
def key_revoke(key_id: str) -> None:
    """Revoke the key KEY_ID: posts with it are refused (401) from the moment each gateway reads this."""
    from streams.tools.exceptions import AdminError
    from streams.tools.gateway_admin import revoke_key

    try:
        revoked = revoke_key(load_settings(), key_id)
    except AdminError as error:
        raise _one_line(error) from None
    if revoked is None:
        raise click.ClickException(f"no key {key_id!r} (`citygate gateway key list` lists them)")
    click.echo(f"revoked key {key_id} of {revoked.gateway_id}")


@click.group("cameras", cls=CitygateGroup)
def cameras_group() -> None:
    """The camera registry: which vendor camera is which checkpoint, lane and direction."""


@cameras_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def cameras_import(file: Path) -> None:
    """Register the cameras in FILE (CSV: vendor, camera_id, site_id, agent_uid, checkpoint_id, lane,
    direction); all rows or none, each checkpoint checked against the topology."""
    from streams.tools.exceptions import AdminError
    from streams.tools.gateway_admin import parse_camera_csv, write_cameras
    from streams.tools.registries import ImportRefused
    from streams.tools.spreadsheet_text import TextEncodingError, decode_text
    from streams.topology_file import load_topology

    settings = load_settings()
    points = frozenset(load_topology(settings).points)
    try:
        text = decode_text(file.read_bytes(), str(file)).text
        cameras = parse_camera_csv(text, points)
        count = write_cameras(settings, cameras)
    except ImportRefused as refused:
        for defect in refused.defects[:20]:
            click.echo(f"{file}: {defect}", err=True)
        raise _one_line(refused) from None
    except (AdminError, TextEncodingError) as error:
        raise _one_line(error) from None
    click.echo(f"registered {count} cameras from {file}")


@cameras_group.command("list")
def cameras_list() -> None:
    """Every registered camera: key, checkpoint, lane, direction, pinned agent."""
    from streams.tools.gateway_admin import read_cameras

    for key, camera in sorted(read_cameras(load_settings()).items()):
        agent = f"  agent {camera.agent_uid}" if camera.agent_uid else ""
        click.echo(f"{key:<48} {camera.checkpoint_id:<14} lane {camera.lane:<2} {camera.direction}{agent}")


@cameras_group.command("remove")
@click.argument("camera_key")
def cameras_remove(camera_key: str) -> None:
    """Remove the camera CAMERA_KEY (vendor:site:camera_id, as `citygate cameras list` shows it)."""
    from streams.tools.exceptions import AdminError
    from streams.tools.gateway_admin import remove_camera

    try:
        removed = remove_camera(load_settings(), camera_key)
    except AdminError as error:
        raise _one_line(error) from None
    if not removed:
        raise click.ClickException(f"no camera {camera_key!r} is registered (`citygate cameras list`)")
    click.echo(f"removed camera {camera_key}")
