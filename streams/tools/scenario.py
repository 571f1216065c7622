"""Replayable scenarios: the seed's cases as data files (streams/tools/scenarios/*.json), played against a
running
worker and checked against what citygate publishes.

A scenario is a timeline of steps in scenario minutes (`--speed` compresses them: 60 plays a minute per
second) and a list of expected outcomes. Steps send public messages as the outside world would (times in
them are the real send time), and a few steps act on what citygate answered: `staff_ring` sends an arrival
report for every manned point the raised lockdown lists for a ring, `capture` reports suspects caught for
the lockdown's incident, `hit_near` reads a plate at the checkpoint nearest a place.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from kafka import KafkaConsumer, TopicPartition

from streams import topics
from streams.settings import Settings
from streams.tools.kafka_io import producer, seek_to_time

# Named and listed without Kafka clients (the CLI checks a name while parsing); re-exported for callers here.
from streams.tools.scenarios import UnknownScenario as UnknownScenario
from streams.tools.scenarios import available as available
from streams.tools.scenarios import load as load
from streams.tools.signer import RecordSigner

if TYPE_CHECKING:
    from streams.domain.geography.topology import Topology

_TEMPLATE = re.compile(r"\{now(?:\+(\d+))?\}")


def fill(value: Any, now: datetime) -> Any:
    """Replace {now} and {now+MIN} (real minutes) in every string of a message."""
    if isinstance(value, str):
        match = _TEMPLATE.fullmatch(value)
        if match:
            return (now + timedelta(minutes=int(match.group(1) or 0))).isoformat()
        return value
    if isinstance(value, dict):
        return {k: fill(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, now) for v in value]
    return value


@dataclass
class Outcome:
    name: str
    met: bool
    at: datetime | None
    detail: str = ""


class ScenarioRun:
    def __init__(
        self, settings: Settings, scenario: dict[str, Any], *, speed: float, echo: Callable[[str], None]
    ) -> None:
        self.settings = settings
        self.scenario = scenario
        self.speed = speed
        self.echo = echo
        self.started = datetime.now(UTC)
        self.tag = uuid.uuid4().hex[:6]  # report and hit ids unique per run
        self._raised: dict[str, Any] | None = None
        self._topology: Topology | None = None

    def play(self) -> None:
        if any("hit_near" in step for step in self.scenario["steps"]):
            self.topology()  # a bad topology file stops the run before its first message, not halfway
        sign = RecordSigner.from_settings(self.settings, self.echo, "scenario")
        kafka = producer(self.settings)
        try:
            clock = time.monotonic()
            for step in sorted(self.scenario["steps"], key=lambda s: s["at_min"]):
                delay = clock + step["at_min"] * 60 / self.speed - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                for topic, key, value in self._messages(step):
                    value = sign(topic, key, value)
                    kafka.send(self.settings.topic(topic), key=key.encode(), value=orjson.dumps(value))
                kafka.flush()
        finally:
            kafka.close()

    def _messages(self, step: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        now = datetime.now(UTC)
        label = f"[+{step['at_min']:>3} min]"
        if "send" in step:
            self.echo(f"{label} {step['send']}: {step['key']}")
            yield step["send"], step["key"], fill(step["value"], now)
        elif "staff_ring" in step:
            ring = step["staff_ring"]
            plan = {r["ring"]: r for r in self.raised()["plan"]["rings"]}
            points = plan.get(ring, {}).get("required", [])
            self.echo(f"{label} staffing the {ring} ring: {len(points)} points")
            spread = step.get("over_min", 0) * 60 / self.speed / max(len(points), 1)
            for n, point in enumerate(points):
                if spread:
                    time.sleep(spread)
                yield (
                    topics.PATROL_REPORTS,
                    f"UNIT-{point}",
                    {
                        "schema_version": 1,
                        "report_id": f"R-{self.tag}-{ring}-{n}",
                        "unit_id": f"UNIT-{point}",
                        "unit_kind": "patrol_car",
                        "kind": "arrived_at_point",
                        "at": datetime.now(UTC).isoformat(),
                        "point_id": point,
                        "text": f"已到达 {point} 卡点",
                    },
                )
        elif "capture" in step:
            incident = self.raised()["incident_id"]
            self.echo(f"{label} {step['capture']} suspect(s) caught by {step['unit']}")
            yield (
                topics.PATROL_REPORTS,
                step["unit"],
                {
                    "schema_version": 1,
                    "report_id": f"R-{self.tag}-cap-{step['at_min']}",
                    "unit_id": step["unit"],
                    "unit_kind": "patrol_car",
                    "kind": "suspect_captured",
                    "at": now.isoformat(),
                    "incident_id": incident,
                    "count": step["capture"],
                    "text": "抓获嫌疑人",
                },
            )
        elif "hit_near" in step:
            lon, lat = step["hit_near"]
            point = min(
                (p for p in self.topology().points.values() if p.kind == "electronic_checkpoint"),
                key=lambda p: (p.location[0] - lon) ** 2 + (p.location[1] - lat) ** 2,
            )
            self.echo(f"{label} {step['plate']} read at {point.id} ({point.name})")
            yield (
                topics.HITS,
                point.id,
                {
                    "schema_version": 1,
                    "hit_id": f"{point.id}-{self.tag}-{step['at_min']}",
                    "checkpoint_id": point.id,
                    "lane": 1,
                    "direction": step.get("direction", "unknown"),
                    "event_time": now.isoformat(),
                    "plate_text": step["plate"],
                    "plate_confidence": 0.95,
                    "candidates": [{"text": step["plate"], "confidence": 0.95}],
                    "plate_colour": "blue",
                    "vehicle_type": step.get("vehicle_type", "car"),
                },
            )
        else:
            raise ValueError(f"unknown scenario step {step}")

    def topology(self) -> Topology:
        """The worker's rings and points (loaded once; TopologyFileError when its file cannot be used)."""
        if self._topology is None:
            from streams.topology_file import load_topology

            self._topology = load_topology(self.settings)
        return self._topology

    def raised(self, timeout: float = 60.0) -> dict[str, Any]:
        """The lockdown this run raised (waits for citygate to publish it)."""
        deadline = time.monotonic() + timeout
        while self._raised is None:
            for message, _ in read_since(self.settings, topics.LOCKDOWNS, self.started):
                if message.get("type") == "raised":
                    self._raised = message
                    break
            if self._raised is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"no lockdown was raised within {timeout:.0f} s: is a worker running? (Played on "
                        "this cluster before, its calls join the incident they opened then: start afresh.)"
                    )
                time.sleep(0.5)
        return self._raised


def read_since(settings: Settings, topic: str, since: datetime) -> list[tuple[dict[str, Any], datetime]]:
    """Every JSON message of `topic` with a broker timestamp at or after `since`, up to the current end."""
    consumer = KafkaConsumer(
        **settings.connection().tool_client_kwargs(), group_id=None, enable_auto_commit=False
    )
    try:
        name = settings.topic(topic)
        tps = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or [])]
        consumer.assign(tps)
        seek_to_time(consumer, tps, int(since.timestamp() * 1000))
        end = consumer.end_offsets(tps)
        found: list[tuple[dict[str, Any], datetime]] = []
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    try:
                        message = orjson.loads(record.value) if record.value else None
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(message, dict):
                        found.append((message, datetime.fromtimestamp(record.timestamp / 1000, UTC)))
        return found
    finally:
        consumer.close()


def _lookup(message: dict[str, Any], dotted: str) -> Any:
    value: Any = message
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def verify(settings: Settings, scenario: dict[str, Any], since: datetime) -> list[Outcome]:
    """Each expected outcome of `scenario`, met or not, from what citygate published since `since`."""
    cache: dict[str, list[tuple[dict[str, Any], datetime]]] = {}
    outcomes = []
    for expected in scenario["expect"]:
        messages = cache.setdefault(expected["topic"], read_since(settings, expected["topic"], since))
        hits = [
            (m, at)
            for m, at in messages
            if all(_lookup(m, k) == v for k, v in expected.get("where", {}).items())
            and ("has" not in expected or _lookup(m, expected["has"]))
        ]
        if "count" in expected:
            distinct = {
                m.get("event_id") or m.get("alert_id") or json.dumps(m, sort_keys=True) for m, _ in hits
            }
            met = len(distinct) == expected["count"]
            detail = f"{len(distinct)} found, {expected['count']} expected"
        else:
            met, detail = bool(hits), f"{len(hits)} found"
        outcomes.append(Outcome(expected["name"], met, hits[0][1] if hits else None, detail))
    return outcomes


def breakable(scenario: dict[str, Any]) -> bool:
    """Whether a later message can break an outcome once met: an exact count (0: an absence) can be
    exceeded; every other expectation, once found, stays found."""
    return any("count" in expected for expected in scenario["expect"])


def await_outcomes(
    check: Callable[[], list[Outcome]],
    *,
    breakable: bool,
    timeout_s: float,
    settle_s: float,
    every_s: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """`check()` every `every_s` until every outcome is met, or `timeout_s` has passed (then the last
    outcomes, some unmet). When a later message could still break a met outcome (`breakable`), they are
    checked once more `settle_s` after all were met, and that answer stands."""
    deadline = clock() + timeout_s
    while True:
        outcomes = check()
        if all(outcome.met for outcome in outcomes):
            if breakable and settle_s > 0:
                sleep(settle_s)
                return check()
            return outcomes
        if clock() + every_s > deadline:
            return outcomes
        sleep(every_s)
