"""`citygate acl plan|apply`: the ACLs each role's principal needs (streams/roles.py), shown or created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import orjson

from streams.cli.common import load_settings
from streams.cli.group import CitygateGroup
from streams.roles import ROLES, Acl, acls, role, table


def _who(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options naming whose ACLs: --role (repeatable), --all, --principal."""
    command = click.option(
        "--principal", default=None, help="The principal of the one role given (default: User:<role>)."
    )(command)
    command = click.option("--all", "every", is_flag=True, help="Every role, each for the user of its name.")(
        command
    )
    return click.option(
        "--role", "roles", multiple=True, type=click.Choice(list(ROLES)), help="A role (repeatable)."
    )(command)


def _wanted(roles: tuple[str, ...], every: bool, principal: str | None) -> list[Acl]:
    names = list(ROLES) if every else list(dict.fromkeys(roles))
    if not names:
        raise click.UsageError("name a role (--role R, repeatable) or give --all")
    if principal is not None and len(names) != 1:
        raise click.UsageError("--principal names one principal: give exactly one --role with it")
    settings = load_settings()
    found: list[Acl] = []
    for name in names:
        found.extend(acls(role(name), principal or f"User:{name}", settings))
    return found


def _fields(acl: Acl) -> dict[str, str]:
    return {
        "principal": acl.principal,
        "permission": "ALLOW",
        "operation": acl.operation,
        "resource_type": acl.resource_type,
        "pattern_type": acl.pattern_type,
        "resource_name": acl.resource_name,
        "host": "*",
    }


@click.group("acl", cls=CitygateGroup)
def acl_group() -> None:
    """The ACLs that give each role's principal exactly its job (everything else is denied)."""


@acl_group.command("plan")
@_who
@click.option("--json", "as_json", is_flag=True, help="One JSON object per ACL.")
def plan(roles: tuple[str, ...], every: bool, principal: str | None, as_json: bool) -> None:
    """Print the roles' ACLs for this deployment's topic prefix and app id; changes nothing."""
    for acl in _wanted(roles, every, principal):
        click.echo(orjson.dumps(_fields(acl)).decode() if as_json else acl.line())


@acl_group.command("apply")
@_who
def apply_command(roles: tuple[str, ...], every: bool, principal: str | None) -> None:
    """Create the roles' missing ACLs (idempotent); exits 0 only when every one is on the cluster."""
    from streams.tools.acl import AclError, apply

    wanted = _wanted(roles, every, principal)
    try:
        applied = apply(load_settings(), wanted)
    except AclError as exc:
        raise click.ClickException(str(exc)) from None
    for acl in applied.created:
        click.echo(f"created  {acl.line()}")
    click.echo(f"{len(applied.created)} ACLs created, {len(applied.present)} already there")
    for acl in applied.beyond:
        click.echo(f"beyond its role (left alone): {acl.line()}", err=True)


@acl_group.command("table")
def table_command() -> None:
    """Print the role table as Markdown (docs/security.md holds it; a unit test keeps the two equal)."""
    click.echo(table(), nl=False)
