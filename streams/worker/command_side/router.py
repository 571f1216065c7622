"""The command side's router: each message to its handler, by table.

The command side reads the topics `streams.topics.COMMAND_SIDE` names, one partition each, one event at a
time (`concurrency=1`), so one worker holds the consistent view: the alert book and the incident desk.
`by_topic` says which handler takes each of those topics and `by_command` which takes each operator
command; both are checked against their declarations when the router is built, so a topic or command
added without a handler stops the worker at start instead of dead-lettering every message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from streams import codecs, topics
from streams.domain.commands import COMMANDS, OperatorCommand
from streams.domain.exceptions import InvalidInput, Refused
from streams.domain.forces import dispatching
from streams.settings import Settings
from streams.worker.command_side.alert_book import AlertBook
from streams.worker.command_side.answers import CommandAnswers, audited
from streams.worker.command_side.incident_desk import IncidentDesk
from streams.worker.command_side.signed_inputs import SignedInputs
from streams.worker.command_side.unit_board import UnitDesk
from streams.worker.pipeline import Answer, Handler, InputMessage, Outgoing, received

# Alerts that say a listed vehicle was seen: what the incident desk follows.
SIGHTING_KINDS = frozenset({"watchlist_match", "retro_match"})


@dataclass(frozen=True, slots=True)
class Effect:
    """What a command handler did when there is more to tell its sender than "applied"."""

    records: Sequence[Outgoing]
    summary: str


CommandHandler = Callable[[OperatorCommand, InputMessage, datetime], Sequence[Outgoing] | Effect]


class CommandRouter:
    """A pipeline handler for every command-side message: (message, now) → records to send."""

    def __init__(
        self,
        settings: Settings,
        book: AlertBook,
        desk: IncidentDesk,
        signed: SignedInputs | None = None,
        answers: CommandAnswers | None = None,
        units: UnitDesk | None = None,
    ) -> None:
        """`signed` checks who signed each command (None: CITYGATE_REQUIRE_SIGNATURES=false, and the
        registry's records are not read); `answers` writes every command's outcome (its table: a plain
        dict when not given, as in tests; the worker gives a Faust table), and so does `units`, the unit
        board that radio reports also go to."""
        self.settings = settings
        self.signed = signed
        self.bounds = settings.time_bounds()
        self.book = book
        self.desk = desk
        self.answers = answers if answers is not None else CommandAnswers(settings, {})
        self.units = units if units is not None else UnitDesk(settings, {}, {}, desk.topology)
        if desk.forces is None:  # the desk proposes units for new incidents and releases them at closing
            desk.forces = self.units
        # What the pipeline tells a refused command's sender (streams/worker/pipeline.py `answers`).
        self.answers_by_topic: Mapping[str, Answer] = {topics.OPERATOR_COMMANDS: self.answers.refused}
        self.by_topic: Mapping[str, Handler] = {
            topics.ALERTS: self.on_alert,
            topics.ALERTS_RESTRICTED: self.on_alert,
            topics.OPERATOR_COMMANDS: self.on_command,
            topics.CALLS: desk.on_call,
            topics.PATROL_REPORTS: self.on_report,
            topics.UNITS: self.units.on_registry,
            topics.TICKS: self.on_tick,
        }
        if signed is not None:
            self.by_topic = {**self.by_topic, topics.REGISTRY: signed.on_registry}
        self.by_command: Mapping[str, CommandHandler] = {
            "accept_hit": book.review,
            "reject_hit": book.review,
            "staff_point": desk.staff_point,
            "lift_lockdown": desk.lift,
            "dispatch": self.dispatch,
            "release_unit": self.release_unit,
        }
        reads = topics.SIGNED_COMMAND_SIDE if signed is not None else topics.COMMAND_SIDE
        _same("command-side topics", set(self.by_topic), set(reads))
        _same("operator commands", set(self.by_command), set(COMMANDS))

    def __call__(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        self.book.sweep(now)
        if self.signed is not None:
            self.signed.sweep(now)
        return self.by_topic[self.settings.logical_topic(message.topic)](message, now)

    def on_report(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """Incidents first: a report the desk refuses (an invalid one) then changes no unit either."""
        report = self.desk.read_report(message, now)
        out = [*self.desk.on_report(report, now)]
        records, arrivals = self.units.on_report(report, now)
        out.extend(records)
        for arrived in arrivals:
            out.extend(self.desk.record_arrival(arrived, now))
        return out

    def on_tick(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        return [*self.desk.on_tick(message, now), *self.units.on_tick(now)]

    def on_alert(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """An alert read back: book it; a sighting of a lookout or an incident's plate (live or found by the
        retro-match) goes on to the incident desk."""
        topic = self.settings.logical_topic(message.topic)
        alert = codecs.read_alert(
            codecs.decode_key(message.key),
            message.value,
            topic=topic,
            max_bytes=self.settings.max_message_bytes,
        )
        self.book.record(topic, alert)
        if alert.get("kind") not in SIGHTING_KINDS or alert.get("state") not in ("new", "updated"):
            return ()
        match = alert.get("match") or {}
        if match.get("category") == "lookout":
            return self.desk.on_lookout(alert, now)
        if alert.get("incident_id"):
            return self.desk.on_alert_sighting(alert, now)
        return ()

    def on_command(self, message: InputMessage, now: datetime) -> Sequence[Outgoing]:
        """An operator command: parsed, its signer checked, handled, and answered (applied here; a refusal
        is answered by the pipeline through `answers_by_topic`). Read again after a crash, a record gets
        the same records it got the first time (streams/worker/command_side/answers.py says why)."""
        arrived = received(message, now)
        command = codecs.parse_command(
            codecs.decode_key(message.key),
            message.value,
            ref=arrived,
            bounds=self.bounds,
            max_bytes=self.settings.max_message_bytes,
        )
        self.answers.sweep(arrived)
        again = self.answers.again(command, message)
        if again is not None:
            return again
        if self.signed is not None:
            try:
                command = self.signed.admit_command(command, message, now)
            except Refused as refused:
                if refused.code == "not_authorised":  # a checked signer: the record spent its nonce
                    signer = replace(command, operator_id=refused.claimed_by or command.operator_id)
                    self.answers.keep_refusal(signer, message, refused, now)
                raise
        repeated = self.answers.repeated(command, message)
        if repeated is not None:
            return repeated
        try:
            done = self.by_command[command.command](command, message, now)
        except InvalidInput as refusal:
            if self.signed is not None:  # the nonce is spent: read again, it must say the same
                self.answers.keep_refusal(command, message, refusal, now)
            raise
        if isinstance(done, Effect):
            return self.answers.applied(command, message, done.records, now, done.summary)
        return self.answers.applied(command, message, done, now)

    def dispatch(self, command: OperatorCommand, message: InputMessage, now: datetime) -> Effect:
        """Units sent to an incident or a point: the desk's proposal, or the units the command names."""
        target = self.desk.dispatch_target(command.target_id)
        records, sent = self.units.dispatch(command, target, now)
        incident_records = self.desk.record_dispatches(target, sent, now)
        units = [{"unit_id": one.unit.unit_id, "dispatch_id": one.record["dispatch_id"]} for one in sent]
        after: dict[str, object] = {"units": units}
        audit = audited(command, message, now, "units_dispatched", after)
        return Effect([*records, *incident_records, audit], dispatching.summary(sent, target))

    def release_unit(
        self, command: OperatorCommand, message: InputMessage, now: datetime
    ) -> Sequence[Outgoing]:
        """A unit back to available, its task ended by the operator."""
        return [*self.units.release(command, now), audited(command, message, now, "unit_released")]


def _same(what: str, handled: set[str], declared: set[str]) -> None:
    if handled != declared:
        missing, unknown = sorted(declared - handled), sorted(handled - declared)
        raise RuntimeError(f"{what}: no handler for {missing}; handlers for undeclared {unknown}")
