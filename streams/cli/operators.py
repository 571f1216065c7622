"""`citygate operators`: the people whose signatures citygate trusts (the `operators.registry` topic).

Every record is signed with the key in CITYGATE_OPERATOR_KEY_FILE, which must be the registry root's (for
a registry administrator) or a registry administrator's. `root` makes the root's key file for a new
deployment; its public key then goes in CITYGATE_REGISTRY_ROOT_KEY of every worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import orjson

from streams import topics
from streams.cli.common import load_settings
from streams.cli.group import CitygateGroup
from streams.domain.identity.roles import ROLE_SUMMARIES, ROLES


def registry_value(
    person_id: str, public_key_b64: str, roles: list[str], status: str, admin: object, now: datetime
) -> bytes:
    """The signed registry record of `person_id`, signed by `admin` (a streams.signing.SigningKey)."""
    from streams.codecs.signed import signed_message
    from streams.signing import SigningKey

    assert isinstance(admin, SigningKey)  # noqa: S101 (imported lazily: `citygate --help` stays fast)
    value: dict[str, object] = {
        "schema_version": 1,
        "operator_id": person_id,
        "public_key": public_key_b64,
        "roles": sorted(set(roles)),
        "status": status,
    }
    signature = admin.sign(topic=topics.REGISTRY, key=person_id, value=value, now=now)
    return orjson.dumps(signed_message(value, signature))


def _admin_key() -> object:
    from streams.signing import KeyFileError, read_key_file

    settings = load_settings()
    if not settings.operator_key_file:
        raise click.ClickException("set CITYGATE_OPERATOR_KEY_FILE to a registry administrator's key file")
    try:
        return read_key_file(Path(settings.operator_key_file))
    except KeyFileError as error:
        raise click.ClickException(str(error)) from None


def _registry() -> dict[str, dict[str, object]]:
    """The last record per id on the registry topic (as written; the worker verifies them)."""
    from streams.tools.kafka_io import read_to_end

    found: dict[str, dict[str, object]] = {}
    for key, value in read_to_end(load_settings(), topics.REGISTRY):
        if key is not None and value is not None:
            found[key.decode("utf-8", "replace")] = orjson.loads(value)
    return found


@click.group("operators", cls=CitygateGroup)
def operators_group() -> None:
    """The people whose signatures citygate trusts, and their roles."""


@operators_group.command("root")
@click.option("--id", "root_id", default="root", show_default=True, help="The root's id.")
@click.option("--key-out", type=click.Path(path_type=Path), required=True, help="Key file to write (0600).")
def operators_root(root_id: str, key_out: Path) -> None:
    """Make the registry root's key pair (once per deployment) and print the setting that trusts it."""
    from streams.signing import KeyFileError, SigningKey

    key = SigningKey.generate(root_id)
    try:
        key.write(key_out)
    except KeyFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"CITYGATE_REGISTRY_ROOT_ID={root_id}")
    click.echo(f"CITYGATE_REGISTRY_ROOT_KEY={key.public_key_b64}")


@operators_group.command("add")
@click.argument("person_id")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(sorted(ROLES)),
    help="A role (repeat for several): " + "; ".join(f"{r}: {s}" for r, s in ROLE_SUMMARIES.items()),
)
@click.option("--key-out", type=click.Path(path_type=Path), required=True, help="Key file to write (0600).")
def operators_add(person_id: str, roles: tuple[str, ...], key_out: Path) -> None:
    """Make PERSON_ID a key pair, write its private key to --key-out and register its public key."""
    from streams.signing import KeyFileError, SigningKey
    from streams.tools.kafka_io import produce

    admin = _admin_key()
    if person_id in _registry():
        raise click.ClickException(f"{person_id} is registered already; ids are never reused")
    key = SigningKey.generate(person_id)
    try:
        key.write(key_out)
    except KeyFileError as error:
        raise click.ClickException(str(error)) from None
    value = registry_value(person_id, key.public_key_b64, list(roles), "active", admin, datetime.now(UTC))
    produce(load_settings(), topics.REGISTRY, [(person_id.encode(), value)])
    click.echo(f"registered {person_id} ({', '.join(sorted(roles))}); private key in {key_out}")


@operators_group.command("revoke")
@click.argument("person_id")
def operators_revoke(person_id: str) -> None:
    """Revoke PERSON_ID for good: records it signs from now on are refused (revoked_signer)."""
    from streams.tools.kafka_io import produce

    admin = _admin_key()
    record = _registry().get(person_id)
    if record is None:
        raise click.ClickException(f"{person_id} is not in the registry (citygate operators list)")
    roles = [str(role) for role in record["roles"]]  # type: ignore[attr-defined]
    value = registry_value(person_id, str(record["public_key"]), roles, "revoked", admin, datetime.now(UTC))
    produce(load_settings(), topics.REGISTRY, [(person_id.encode(), value)])
    click.echo(f"revoked {person_id}")


@operators_group.command("list")
def operators_list() -> None:
    """Everyone in the registry: id, roles, status and who signed the record."""
    for person_id, record in sorted(_registry().items()):
        signature = record.get("signature") or {}
        signer = signature.get("signer", "?") if isinstance(signature, dict) else "?"
        roles = ",".join(str(role) for role in record.get("roles", []))  # type: ignore[attr-defined]
        click.echo(f"{person_id}\t{roles}\t{record.get('status')}\tby {signer}")


@operators_group.command("web-key")
@click.argument("key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write it (default: CITYGATE_CONSOLE_WEB_KEYS_DIR/<operator id>.webkey).",
)
@click.option(
    "--passphrase-stdin", is_flag=True, help="Read the passphrase from the first line of stdin (no prompt)."
)
def operators_web_key(key_file: Path, out: Path | None, passphrase_stdin: bool) -> None:
    """Lock the key in KEY_FILE with a passphrase for the web console: logging in there unlocks it, and the
    console signs that operator's commands with it (the key file itself is not copied in the clear)."""
    import sys

    from streams.signing import KeyFileError, read_key_file
    from streams.web.keys import MIN_PASSPHRASE, LockedKeyError, locked_key_path, write_locked

    try:
        key = read_key_file(key_file)
    except KeyFileError as error:
        raise click.ClickException(str(error)) from None
    if out is None:
        folder = load_settings().console_web_keys_dir
        if not folder:
            raise click.UsageError("give --out, or set CITYGATE_CONSOLE_WEB_KEYS_DIR")
        out = locked_key_path(Path(folder), key.person_id)
        if out is None:
            raise click.ClickException(f"{key.person_id!r} cannot name a file; give --out")
    if passphrase_stdin:
        passphrase = sys.stdin.readline().rstrip("\r\n")
    else:
        passphrase = click.prompt(
            f"passphrase for {key.person_id} (at least {MIN_PASSPHRASE} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    try:
        write_locked(key, passphrase, out)
    except LockedKeyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"locked {key.person_id}'s key for the web console in {out}")
