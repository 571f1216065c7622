"""Roles of people (not Kafka principals): what each role may do, as one table.

A Kafka ACL says which client may write a topic; it cannot say which person is behind a record. These roles
are that: every operator command, watchlist change and registry record is signed by a person's key, and the
signer's roles in the registry (`operators.registry`) must allow the record's action. `action_of_*` names
the action of a record; `allows` answers from the table.
"""

from __future__ import annotations

from collections.abc import Iterable

# Role → what it may do. The table is the policy: change it here and every check follows.
PERMISSIONS: dict[str, frozenset[str]] = {
    # Review alerts (accept, reject), confirm a point staffed over the radio, send and release units.
    "operator": frozenset({"accept_hit", "reject_hit", "staff_point", "dispatch", "release_unit"}),
    # All an operator may, and lift a lockdown: "close the city gates" is opened again by a commander only.
    "commander": frozenset(
        {"accept_hit", "reject_hit", "staff_point", "dispatch", "release_unit", "lift_lockdown"}
    ),
    # Watchlist changes: list an entry (covert ones too: only a watchlist administrator lists a covert
    # entry), change and remove one.
    "watchlist_admin": frozenset({"list_entry", "list_covert_entry", "list_incident_entry", "remove_entry"}),
    # The registry: register, change and revoke operators. Administrators of the registry themselves are
    # registered by the root only (streams/domain/identity/registry.py).
    "registry_admin": frozenset({"manage_operators"}),
    # The worker itself, listing the vehicle a 110 call names (category incident, never covert).
    "incident_desk": frozenset({"list_incident_entry"}),
}
ROLES = frozenset(PERMISSIONS)
ACTIONS = frozenset().union(*PERMISSIONS.values())
# A line per role for help texts and docs.
ROLE_SUMMARIES = {
    "operator": "accept and reject alerts, confirm points staffed, dispatch and release units",
    "commander": "as operator, and lift lockdowns",
    "watchlist_admin": "add, change and remove watchlist entries, covert ones included",
    "registry_admin": "register and revoke operators (not administrators: the root does that)",
    "incident_desk": "the worker's own key: lists the vehicles 110 calls name (category incident)",
}
# Registers and revokes registry administrators: the holder of the root key, no role.
ROOT_ACTION = "manage_administrators"


def action_of_command(command: str) -> str:
    """The action of an operator command is the command itself."""
    return command


def action_of_entry(*, category: str, covert: bool) -> str:
    """What listing (or changing) an entry takes: a covert one, an incident's vehicle, any other."""
    if covert:
        return "list_covert_entry"
    return "list_incident_entry" if category == "incident" else "list_entry"


REMOVE_ENTRY = "remove_entry"


def allows(roles: Iterable[str], action: str) -> bool:
    return any(action in PERMISSIONS.get(role, ()) for role in roles)


def roles_for(action: str) -> list[str]:
    """The roles that allow `action`, for a refusal that says what would have been needed."""
    return sorted(role for role, actions in PERMISSIONS.items() if action in actions)
