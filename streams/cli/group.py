"""The one group class of every `citygate` command group (the top level and each subgroup), so they all
answer a mistake alike: a misspelt command gets the closest one suggested, and a cluster that cannot be
reached or a topology file that cannot be used is one line instead of a traceback."""

from __future__ import annotations

import difflib
import os

import click

from streams.connection import TOOL_BOOTSTRAP_TIMEOUT_S


def _unreachable(exc: Exception) -> bool:
    """Whether `exc` is a Kafka client giving up on reaching the cluster (not a refusal by it)."""
    from kafka.errors import KafkaConnectionError

    from streams.tools.retries import unreachable

    return unreachable(exc) or isinstance(exc, KafkaConnectionError)


class CitygateGroup(click.Group):
    """A command group that suggests the closest command to a misspelt one and turns the errors every
    command can meet (no cluster, a bad topology file) into one line."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if args and self.get_command(ctx, name) is None and not name.startswith("-"):
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint} ({ctx.command_path} --help lists them)")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        from streams.topology_file import TopologyFileError

        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except TopologyFileError as exc:  # any command that loads the rings and points, before it connects
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            from streams.signing import KeyFileError  # only now: `citygate --help` needs no cryptography

            if isinstance(exc, KeyFileError):  # a tool's key file (CITYGATE_OPERATOR_KEY_FILE) is unusable
                raise click.ClickException(str(exc)) from None
            if not _unreachable(exc):
                raise
            where = os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092")
            raise click.ClickException(
                f"cannot reach Kafka at {where} within {TOOL_BOOTSTRAP_TIMEOUT_S:.0f} s: start one "
                "(deploy/local/kafka start) or point KAFKA_BOOTSTRAP / --bootstrap-server at yours"
            ) from None
