"""The console's I/O loop: kafka-python without a consumer group (every partition assigned, as
`citygate tail` does), feeding a ConsoleState and drawing it.

`incidents` is read from the beginning, `alerts` from the lookback (by timestamp), `lockdowns` from the
lookback or the maximum lockdown duration if longer (so an active lockdown's `raised` event is seen), then
followed; input rates come from the end offsets of `anpr.hits`, `patrol.reports`, `calls.110` and
`deadletter`, sampled every second (no hit is read).
"""

from __future__ import annotations

import time
from datetime import timedelta

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from rich.console import Console, RenderableType
from rich.live import Live

from streams import topics
from streams.domain.incidents.lifecycle import IncidentSettings
from streams.lag import starts_by_time
from streams.settings import Settings
from streams.tools.console.exceptions import ConsoleError
from streams.tools.console.options import DEFAULT_LOOKBACK, DEFAULT_MAX_ALERTS
from streams.tools.console.state import (
    FOLLOWED,
    RATE_TOPICS,
    RATE_WINDOW_S,
    ConsoleState,
)
from streams.tools.kafka_io import seek_to_time
from streams.topics import MissingTopic


class RateSampler:
    """End offsets of the rate topics, summed over partitions, sampled into the state."""

    def __init__(self, consumer: KafkaConsumer, settings: Settings) -> None:
        self.consumer = consumer
        self.settings = settings
        self.partitions: dict[str, list[TopicPartition]] = {}
        self.resolved_at = float("-inf")

    def resolve(self) -> None:
        """Partitions of every rate topic (again every 30 s, for topics created or grown since)."""
        for topic in RATE_TOPICS:
            name = self.settings.topic(topic)
            found = self.consumer.partitions_for_topic(name) or set()
            self.partitions[topic] = [TopicPartition(name, p) for p in sorted(found)]
        self.resolved_at = time.monotonic()

    def seed(self, state: ConsoleState) -> None:
        """A first sample as of RATE_WINDOW_S ago (by timestamp), so rates show at once, `--once` too."""
        self.resolve()
        now = time.time()
        for topic, tps in self.partitions.items():
            if not tps:
                continue
            try:
                target = int((now - RATE_WINDOW_S) * 1000)
                found = self.consumer.offsets_for_times(dict.fromkeys(tps, target))
                ends = self.consumer.end_offsets(tps)
            except KafkaError:
                continue
            offsets = {tp: None if found.get(tp) is None else found[tp].offset for tp in tps}
            state.record_end_offsets(topic, sum(starts_by_time(offsets, ends).values()), now - RATE_WINDOW_S)

    def sample(self, state: ConsoleState) -> None:
        try:
            if time.monotonic() - self.resolved_at > 30:
                self.resolve()
            for topic, tps in self.partitions.items():
                if tps:
                    ends = self.consumer.end_offsets(tps)
                    state.record_end_offsets(topic, sum(ends.values()), time.time())
        except KafkaError:
            pass  # the broker is away: the rates go stale until it is back, the console goes on


def assign(consumer: KafkaConsumer, settings: Settings, lookback: timedelta) -> list[TopicPartition]:
    """Assign every partition of the followed topics and seek each to where the view starts."""
    by_topic: dict[str, list[TopicPartition]] = {}
    for topic in FOLLOWED:
        name = settings.topic(topic)
        found = consumer.partitions_for_topic(name)
        if not found:
            raise ConsoleError(str(MissingTopic(name)))
        by_topic[topic] = [TopicPartition(name, p) for p in sorted(found)]
    every = [tp for tps in by_topic.values() for tp in tps]
    consumer.assign(every)
    consumer.seek_to_beginning(*by_topic[topics.INCIDENTS])  # compacted: a table, read whole
    now_ms = int(time.time() * 1000)
    since = {
        topics.ALERTS: lookback,
        # An active lockdown may be as old as the maximum duration: start early enough to see it raised.
        topics.LOCKDOWNS: max(lookback, IncidentSettings().max_lockdown + timedelta(minutes=10)),
    }
    for topic, back in since.items():
        seek_to_time(consumer, by_topic[topic], now_ms - int(back.total_seconds() * 1000))
    return every


def drain(consumer: KafkaConsumer, state: ConsoleState, settings: Settings, timeout_ms: int) -> int:
    """Feed what one poll returns; the number of records."""
    count = 0
    for records in consumer.poll(timeout_ms=timeout_ms, max_records=5000).values():
        for record in records:
            topic = settings.logical_topic(record.topic)
            state.feed_raw(topic, record.key, record.value, record.timestamp)
            count += 1
    return count


def run_console(
    settings: Settings,
    lookback: timedelta = DEFAULT_LOOKBACK,
    max_alerts: int = DEFAULT_MAX_ALERTS,
    once: bool = False,
    *,
    console: Console | None = None,
    refresh_per_second: float = 2.0,
    catch_up_timeout_s: float = 60.0,
    alert: str | None = None,
) -> ConsoleState:
    """Follow the public topics and draw the console until Ctrl-C; with `once`, read up to the current end,
    print one frame and return; with `alert` (an alert id or a unique prefix of one), read as `once` does
    and print that alert in full instead. Returns the state (for tests)."""
    once = once or alert is not None
    console = console or Console()
    state = ConsoleState(
        max_alerts=max_alerts,
        lookback=lookback,
        source=settings.kafka_bootstrap + (f" {settings.topic_prefix}*" if settings.topic_prefix else ""),
        tz=settings.city_zone(),  # the city's clock, not the operator's machine's
    )
    try:
        consumer = KafkaConsumer(
            **settings.connection().tool_client_kwargs(),
            group_id=None,
            enable_auto_commit=False,
            allow_auto_create_topics=False,
            client_id="citygate-console",
        )
    except KafkaError as exc:
        raise ConsoleError(f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc}") from None
    try:
        try:
            assigned = assign(consumer, settings, lookback)
            end = consumer.end_offsets(assigned)  # where `--once` stops
        except KafkaError as exc:
            raise ConsoleError(f"cannot read the topics at {settings.kafka_bootstrap}: {exc!r}") from None
        rates = RateSampler(consumer, settings)
        rates.seed(state)
        if once:
            deadline = time.monotonic() + catch_up_timeout_s
            while any(consumer.position(tp) < end[tp] for tp in assigned):
                if time.monotonic() > deadline:
                    state.notes.append(f"not caught up after {catch_up_timeout_s:.0f} s")
                    break
                drain(consumer, state, settings, timeout_ms=200)
            rates.sample(state)
            console.print(state.render() if alert is None else _detail(state, alert))
            return state
        _follow(consumer, state, settings, rates, console, 1.0 / refresh_per_second)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how an operator leaves the console
    finally:
        consumer.close(autocommit=False)
    return state


def _detail(state: ConsoleState, prefix: str) -> RenderableType:
    """The one alert `prefix` names among those of the lookback; ConsoleError if it names none or several."""
    from streams.tools.console.detail import alert_detail

    found = state.alerts_starting(prefix)
    if not found:
        raise ConsoleError(
            f"no alert {prefix}… among the {len(state.alerts)} alerts of the last "
            f"{state.lookback.total_seconds() / 3600:g} h (a longer --lookback looks further back)"
        )
    if len(found) > 1:
        names = ", ".join(a.alert_id for a in found[:5]) + (", …" if len(found) > 5 else "")
        raise ConsoleError(f"{prefix} is the start of {len(found)} alerts ({names}): give more of the id")
    return alert_detail(found[0], state.tz)


def _follow(
    consumer: KafkaConsumer,
    state: ConsoleState,
    settings: Settings,
    rates: RateSampler,
    console: Console,
    refresh_s: float,
) -> None:
    next_sample = next_frame = time.monotonic()
    with Live(console=console, screen=True, auto_refresh=False, transient=True) as live:
        while True:
            try:
                drain(consumer, state, settings, timeout_ms=int(refresh_s * 200))
            except KafkaError as exc:  # shown, and retried on the next round
                state.notes[:] = [f"Kafka: {type(exc).__name__}"]
                time.sleep(refresh_s)
            else:
                state.notes.clear()
            now = time.monotonic()
            if now >= next_sample:
                rates.sample(state)
                next_sample = now + 1.0
            if now >= next_frame:
                live.update(state.render_screen(console), refresh=True)
                next_frame = now + refresh_s
