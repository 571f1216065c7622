"""What the commands share: settings from the environment (a bad one is a one-line error), choices taken
from the domain's own constants, and sending an operator command and waiting for its answer."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson

from streams import topics
from streams.settings import Settings, SettingsError

if TYPE_CHECKING:  # cryptography is imported by the commands that sign, not by `citygate --help`
    from streams.signing import SigningKey


def load_settings() -> Settings:
    """Settings from the environment, read when a command runs (never at import)."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def city_zone() -> tzinfo:
    """The city's time zone (CITYGATE_TIMEZONE, default Asia/Shanghai): a time written without an offset
    is the city's local time, whatever zone the operator's machine is set to."""
    return load_settings().city_zone()


def parse_city_time(text: str) -> datetime:
    """An ISO 8601 time; without an offset, the city's local time. ValueError when it is none."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=city_zone())


def since_option(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | timedelta | None:
    """`--since`: a time (ISO 8601) or how long ago (`6h`, `90m`, `2d`)."""
    from streams.tools.console.options import parse_duration

    if value is None:
        return None
    try:
        return parse_city_time(value)
    except ValueError:
        pass
    try:
        return parse_duration(value)
    except ValueError:
        raise click.BadParameter(f"neither an ISO 8601 time nor a duration: {value!r}") from None


def valid_since(since: datetime | timedelta | None, now: datetime, settings: Settings) -> datetime:
    """From when an entry is looked for: the time given, so long ago, or by default the retro-match's
    horizon ago (a new entry's sightings of those hours are found)."""
    if isinstance(since, datetime):
        return since
    return now - (since if since is not None else timedelta(hours=settings.retro_hours))


def choice(options: Collection[str]) -> click.Choice[str]:
    """The domain's options (a set) in a fixed order for help and errors: by name, the catch-all last."""
    return click.Choice(sorted(options, key=lambda option: (option == "other", option)))


def signing_key(settings: Settings) -> SigningKey | None:
    """The key in CITYGATE_OPERATOR_KEY_FILE, or None when unset: the record goes unsigned (a worker that
    checks signatures refuses it as `unsigned`)."""
    from streams.signing import KeyFileError, read_key_file

    if not settings.operator_key_file:
        return None
    try:
        return read_key_file(Path(settings.operator_key_file))
    except KeyFileError as error:
        raise click.ClickException(str(error)) from None


# How long a command waits for its answer by default (`--wait-timeout`).
WAIT_S = 10.0
# What turns a typed id into the id a command is about (streams/tools/targets.py); raises TargetError.
Resolve = Callable[[Settings, str], str]
_F = TypeVar("_F", bound=Callable[..., Any])


class NoAnswer(click.ClickException):
    """The command was sent but no worker answered in time: exit status 2, unlike a refusal's 1."""

    exit_code = 2


def answer_options(command: _F) -> _F:
    """`--wait-timeout SECONDS` and `--no-wait`, for every command that sends an operator command."""
    command = click.option(
        "--no-wait", is_flag=True, help="Send and exit 0, without waiting for the worker's answer."
    )(command)
    return click.option(
        "--wait-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=WAIT_S,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for the answer (exit 0 applied, 1 refused, 2 no answer).",
    )(command)


def send_command(
    target_id: str,
    command: str,
    operator: str,
    reason: str | None,
    note: str | None,
    *,
    resolve: Resolve | None = None,
    wait_timeout: float = WAIT_S,
    no_wait: bool = False,
    units: tuple[str, ...] = (),
) -> None:
    """Check and send one operator command, keyed by its target (`resolve` turns the id typed, a prefix, into
    the full one first: unknown or ambiguous, nothing is sent), print its id, then wait for the worker's
    answer: exit 0 when applied, 1 when refused (with the reason), 2 when none came in `wait_timeout` s."""
    from streams.tools.kafka_io import produce
    from streams.tools.targets import TargetError

    def message_for(target: str) -> dict[str, object]:
        return _command_message(command, target, operator, reason, note, units)

    message = message_for(target_id)  # a bad id or reason fails here, before any client connects
    settings = load_settings()
    key = signing_key(settings)
    if resolve is not None:
        try:
            full_id = resolve(settings, target_id)
        except TargetError as exc:
            raise click.ClickException(str(exc)) from None
        if full_id != target_id:
            target_id, message = full_id, message_for(full_id)
    message = _signed(key, target_id, message)
    command_id = str(message["command_id"])
    if no_wait:
        produce(settings, topics.OPERATOR_COMMANDS, [(target_id.encode(), orjson.dumps(message))])
        click.echo(f"{command} {target_id} sent ({command_id})")
        return
    from streams.tools.answers import APPLIED, REFUSED, AnswerWatch, outcome

    with AnswerWatch(settings) as watch:  # opened before the send: the answer cannot come before it
        produce(settings, topics.OPERATOR_COMMANDS, [(target_id.encode(), orjson.dumps(message))])
        click.echo(f"{command} {target_id} sent ({command_id}); waiting for the answer")
        found = outcome(command, target_id, watch.wait(command_id, wait_timeout), wait_timeout)
    if found.status == APPLIED:
        click.echo(found.line)
        return
    if found.status == REFUSED:
        raise click.ClickException(found.line)
    raise NoAnswer(found.line)


def send_commands(
    targets: list[str],
    command: str,
    operator: str,
    reason: str | None,
    note: str | None,
    *,
    wait_timeout: float = WAIT_S,
    no_wait: bool = False,
) -> None:
    """One `command` per target, sent together and applied in order by the worker (one partition), then
    every answer waited for at once: each printed; exit 0 when all were applied, 1 when any was refused,
    2 when any got no answer in `wait_timeout` s."""
    from streams.tools.kafka_io import produce

    settings = load_settings()
    key = signing_key(settings)
    records: list[tuple[bytes, bytes]] = []
    ids: list[str] = []
    for target in targets:
        message = _signed(key, target, _command_message(command, target, operator, reason, note, ()))
        records.append((target.encode(), orjson.dumps(message)))
        ids.append(str(message["command_id"]))
    if no_wait:
        produce(settings, topics.OPERATOR_COMMANDS, records)
        for target, command_id in zip(targets, ids, strict=True):
            click.echo(f"{command} {target} sent ({command_id})")
        return
    from streams.tools.answers import APPLIED, REFUSED, AnswerWatch, outcome

    with AnswerWatch(settings) as watch:
        produce(settings, topics.OPERATOR_COMMANDS, records)
        click.echo(f"{len(records)} {command} commands sent; waiting for the answers")
        answers = watch.wait_all(ids, wait_timeout)
    statuses = []
    for target, command_id in zip(targets, ids, strict=True):
        found = outcome(command, target, answers.get(command_id), wait_timeout)
        click.echo(found.line, err=found.status != APPLIED)
        statuses.append(found.status)
    if any(status not in (APPLIED, REFUSED) for status in statuses):
        raise NoAnswer(f"{statuses.count(2)} of {len(statuses)} commands got no answer: is a worker running?")
    if REFUSED in statuses:
        raise click.ClickException(f"{statuses.count(REFUSED)} of {len(statuses)} commands were refused")


def _command_message(
    command: str, target: str, operator: str, reason: str | None, note: str | None, units: tuple[str, ...]
) -> dict[str, object]:
    """An operator command's value, checked as the worker will check it (a one-line error if not)."""
    from streams.domain.exceptions import InvalidInput
    from streams.tools.messages import operator_command

    try:
        return operator_command(
            command=command,
            target_id=target,
            operator_id=operator,
            reason_code=reason,
            note=note,
            now=datetime.now(UTC),
            units=units,
        )
    except InvalidInput as exc:
        raise click.ClickException(exc.detail) from None


def _signed(key: SigningKey | None, target: str, message: dict[str, object]) -> dict[str, object]:
    from streams.tools.messages import signed_command

    return signed_command(key, target, message)
