"""Alert dedup: one plate read at one site again and again (lanes, frames, a car waiting at a light) is one
alert, updated with the count and the last time, not a flood.

A group is keyed by (entry, checkpoint): the listed vehicle at one site, however each read spelled it. A
read joins the open group when it comes within `window` of the group's last read (event time); the group
keeps the first alert's id, so consumers upsert. The first read is emitted at once; later reads are folded in
and emitted as an update at most every `update_every` (`flush` emits those that are due). Memory is
bounded: groups idle longer than `window` are dropped, and past `max_groups` the oldest go first.

An operator's decision reaches the grouper through `review`: later updates carry it (state accepted), and
a rejected alert (a misread, not the vehicle) gets no more updates, though its reads are still counted.

State lives per worker in memory. Hits are keyed by checkpoint, so one site's reads always reach the same
worker. After a takeover the new owner `adopt`s the open alerts it reads back from the alert topics (every
worker follows them), so a vehicle still at the site updates its alert instead of opening a second one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from streams.domain.matching.alerts import Alert, Sightings


@dataclass(slots=True)
class _Group:
    alert: Alert  # as last emitted (or as it would be emitted)
    sightings: Sightings
    emitted_at: datetime  # processing time of the last emission
    touched_at: datetime  # processing time of the last read
    latest: Alert | None = None  # the newest read folded in, for its refs (its image)
    pending: bool = False


GroupKey = tuple[str, str]


class AlertGrouper:
    def __init__(
        self,
        *,
        window: timedelta = timedelta(seconds=60),
        update_every: timedelta = timedelta(seconds=10),
        max_groups: int = 100_000,
    ) -> None:
        self.window = window
        self.update_every = update_every
        self.max_groups = max_groups
        self._groups: OrderedDict[GroupKey, _Group] = OrderedDict()
        self._keys: dict[str, GroupKey] = {}  # alert id → its open group

    def __len__(self) -> int:
        return len(self._groups)

    def observe(self, alert: Alert, *, now: datetime) -> list[Alert]:
        """Fold one sighting alert in; returns what to emit now: a new alert, a due update, or nothing."""
        if alert.match is None or alert.checkpoint_id is None or alert.plate is None:
            return [alert]  # not a sighting: nothing to group
        key = (alert.match.entry_id, alert.checkpoint_id)
        group = self._groups.get(key)
        seen = alert.event_time
        lane = (alert.lane,) if alert.lane is not None else ()
        if group is None or seen - group.sightings.last_seen > self.window:
            # The old group closes: its last reads must not be lost with it.
            closing = [self._emit(group, now)] if group is not None and group.pending else []
            sightings = Sightings(count=1, first_seen=seen, last_seen=seen, lanes=lane)
            first = replace(alert, sightings=sightings)
            if group is not None:
                self._keys.pop(group.alert.alert_id, None)
            self._groups[key] = _Group(first, sightings, emitted_at=now, touched_at=now)
            self._keys[first.alert_id] = key
            self._groups.move_to_end(key)
            return [*closing, first, *self._evict_overflow(now)]
        old = group.sightings
        group.sightings = Sightings(
            count=old.count + 1,
            first_seen=min(old.first_seen, seen),
            last_seen=max(old.last_seen, seen),
            lanes=old.lanes if not lane or lane[0] in old.lanes else tuple(sorted(old.lanes + lane)),
        )
        group.touched_at = now
        group.latest = alert
        group.pending = group.alert.state != "rejected"
        self._groups.move_to_end(key)
        if group.pending and now - group.emitted_at >= self.update_every:
            return [self._emit(group, now)]
        return []

    def adopt(self, alert: Alert, *, now: datetime) -> bool:
        """Take over an open alert read back from the alert topics (another worker's, before a takeover), so
        a vehicle still at the site updates it instead of opening a second one. Ignored when this grouper
        already has a group for that vehicle and site, or when the alert is no sighting; True if adopted.
        The group is idle from `now`: it lasts a window unless a read joins it."""
        if alert.match is None or alert.checkpoint_id is None or alert.sightings is None:
            return False
        if alert.state == "rejected":
            return False  # a rejected alert gets no more updates: nothing to keep open
        key = (alert.match.entry_id, alert.checkpoint_id)
        if key in self._groups or len(self._groups) >= self.max_groups:
            return False  # (a full grouper keeps its own groups: evicting one would drop its pending reads)
        self._groups[key] = _Group(alert, alert.sightings, emitted_at=alert.created_at, touched_at=now)
        self._keys[alert.alert_id] = key
        return True

    def review(self, alert_id: str, review: dict[str, object]) -> bool:
        """Apply an operator's decision to the open alert `alert_id`; False if no such group is open here."""
        key = self._keys.get(alert_id)
        if key is None:
            return False
        group = self._groups[key]
        state = str(review.get("decision"))
        group.alert = replace(group.alert, state=state, review=review)
        if state == "rejected":
            group.pending = False
        return True

    def flush(self, *, now: datetime) -> list[Alert]:
        """Updates that are due, and forget groups idle longer than the window."""
        due: list[Alert] = []
        for key in list(self._groups):
            group = self._groups[key]
            if group.pending and now - group.emitted_at >= self.update_every:
                due.append(self._emit(group, now))
            if not group.pending and now - group.touched_at > self.window:
                del self._groups[key]
                self._keys.pop(group.alert.alert_id, None)
        return due

    def _emit(self, group: _Group, now: datetime) -> Alert:
        refs = group.alert.refs
        if group.latest is not None and group.latest.refs and group.latest.refs[0] not in refs:
            # Keep the first read's refs and point at the newest read too (where the latest image is).
            refs = (*refs[:2], group.latest.refs[0])
        group.alert = replace(
            group.alert,
            state="updated" if group.alert.review is None else group.alert.state,
            created_at=now,
            sightings=group.sightings,
            refs=refs,
        )
        group.emitted_at = now
        group.pending = False
        return group.alert

    def _evict_overflow(self, now: datetime) -> list[Alert]:
        evicted = []
        while len(self._groups) > self.max_groups:
            _, group = self._groups.popitem(last=False)
            self._keys.pop(group.alert.alert_id, None)
            if group.pending:
                evicted.append(self._emit(group, now))
        return evicted
