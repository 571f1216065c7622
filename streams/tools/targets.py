"""The id a command is about, from what a person typed: any unique prefix of an id as the console shows it
(`al-9684a247`, `ld-7c22a4ae`), resolved against the current state before anything is sent.

Candidates come in tiers, most likely first (the active lockdowns, then every lockdown on the topic): the
first tier with a match decides, so an old lifted lockdown sharing a prefix with the active one does not make
the active one ambiguous, and a full id of a lifted one still resolves (the worker then says it is lifted).
An id equal to a candidate is that candidate even when it is also a prefix of another (`BP-01`, `BP-012`).
The reading of state is in `streams/tools/kafka_io.py`; this module is pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

# At most this many candidates are named in an "ambiguous" line (it stays one line).
SHOWN = 5


class TargetError(ValueError):
    """No candidate, or more than one, matches what was typed; the message says which, on one line."""


def resolve(given: str, tiers: Iterable[Collection[str]], what: str) -> str:
    """The one candidate `given` names (an exact id, or the unique candidate it is a prefix of), tier by
    tier (a generator's later tiers are read only when needed); TargetError when no tier has a match, or
    the first that has one has several."""
    for tier in tiers:
        if given in tier:
            return given
        matches = sorted(candidate for candidate in tier if candidate.startswith(given))
        if len(matches) == 1:
            return matches[0]
        if matches:
            named = ", ".join(matches[:SHOWN]) + (
                f" and {len(matches) - SHOWN} more" if len(matches) > SHOWN else ""
            )
            raise TargetError(
                f"{what} {given!r} is ambiguous: it starts {len(matches)} ids ({named}); type more of it"
            )
    raise TargetError(f"no {what} {given!r}: no id is or starts with it")


def lockdown_tiers(events: Iterable[Mapping[str, Any]]) -> tuple[set[str], set[str]]:
    """(active lockdown ids, every lockdown id) from the `lockdowns` topic's events, oldest first."""
    status: dict[str, str] = {}
    for event in events:
        lockdown_id = event.get("lockdown_id")
        if isinstance(lockdown_id, str):
            status[lockdown_id] = str(event.get("status"))
    return {ld for ld, state in status.items() if state == "active"}, set(status)


def point_tiers(events: Iterable[Mapping[str, Any]]) -> tuple[set[str], set[str]]:
    """(points active lockdowns still need staffed, every point an active lockdown needs) from the
    `lockdowns` topic's events, oldest first: a lockdown's `raised` event lists its points per ring, each
    `point_staffed` names the point."""
    required: dict[str, set[str]] = {}
    staffed: dict[str, set[str]] = {}
    status: dict[str, str] = {}
    for event in events:
        lockdown_id = event.get("lockdown_id")
        if not isinstance(lockdown_id, str):
            continue
        status[lockdown_id] = str(event.get("status"))
        if event.get("type") == "raised":
            rings = (event.get("plan") or {}).get("rings") or []
            required[lockdown_id] = {str(p) for ring in rings for p in ring.get("required") or []}
        elif event.get("type") == "point_staffed" and isinstance(event.get("point_id"), str):
            staffed.setdefault(lockdown_id, set()).add(event["point_id"])
    active = [ld for ld, state in status.items() if state == "active"]
    needed = {p for ld in active for p in required.get(ld, set())}
    open_points = {p for ld in active for p in required.get(ld, set()) - staffed.get(ld, set())}
    return open_points, needed


def incident_tiers(records: Iterable[Mapping[str, Any]]) -> tuple[set[str], set[str]]:
    """(open incident ids, every incident id) from the `incidents` topic's latest records."""
    status = {
        str(r["incident_id"]): str(r.get("status")) for r in records if isinstance(r.get("incident_id"), str)
    }
    return {i for i, state in status.items() if state == "open"}, set(status)


def points_to_seal(events: Iterable[Mapping[str, Any]], lockdown_id: str, ring: str | None) -> list[str]:
    """The points of `lockdown_id` still to be staffed, innermost ring first (only `ring`'s when given), in
    the plan's order, from the `lockdowns` topic's events, oldest first; [] when it is not active."""
    plan: list[tuple[str, list[str]]] = []
    staffed: set[str] = set()
    status = None
    for event in events:
        if event.get("lockdown_id") != lockdown_id:
            continue
        status = event.get("status")
        if event.get("type") == "raised":
            rings = (event.get("plan") or {}).get("rings") or []
            plan = [(str(r.get("ring")), [str(p) for p in r.get("required") or []]) for r in rings]
        elif event.get("type") == "point_staffed" and isinstance(event.get("point_id"), str):
            staffed.add(event["point_id"])
    if status != "active":
        return []
    return [p for name, points in plan if ring in (None, name) for p in points if p not in staffed]
