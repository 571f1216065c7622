"""streams/roles.py: each role's ACLs give its principal exactly its job, for the deployment's names."""

from __future__ import annotations

import pytest

from streams import topics
from streams.roles import ROLES, Acl, UnknownRole, acls, role
from streams.settings import Settings

CITY = Settings(topic_prefix="yz.", app_id="citygate-yz")


def _grants(name: str) -> set[tuple[str, str, str]]:
    """(operation, resource type, resource name + '*' if prefixed) of a role in CITY."""
    return {
        (a.operation, a.resource_type, a.resource_name + ("*" if a.pattern_type == "PREFIXED" else ""))
        for a in acls(role(name), f"User:{name}", CITY)
    }


def test_a_gateway_writes_only_hits_and_camera_status_and_reads_only_its_registries() -> None:
    grants = _grants("gateway")
    assert {name for op, _, name in grants if op == "WRITE"} == {"yz.anpr.hits", "yz.cameras.status"}
    assert {name for op, _, name in grants if op == "READ"} == {"yz.cameras.registry", "yz.gateway.keys"}
    assert {kind for _, kind, _ in grants} == {"TOPIC"}


def test_only_a_gateway_admin_writes_the_camera_registry_and_the_keys() -> None:
    for topic in ("yz.cameras.registry", "yz.gateway.keys"):
        writers = {name for name in ROLES if ("WRITE", "TOPIC", topic) in _grants(name)}
        assert writers == {"gateway_admin"}, topic


def test_an_operator_reads_alerts_incidents_lockdowns_answers_units_and_writes_commands_only() -> None:
    grants = _grants("operator")
    reads = {name for op, _, name in grants if op == "READ"}
    writes = {name for op, _, name in grants if op == "WRITE"}
    assert reads == {
        "yz.alerts",
        "yz.incidents",
        "yz.lockdowns",
        "yz.command.results",
        "yz.units.registry",
        "yz.units.state",
        "yz.dispatches",
    }
    assert writes == {"yz.operator.commands"}
    assert not {name for _, kind, name in grants if kind == "GROUP"}


def test_only_a_privileged_operator_besides_the_worker_reads_restricted_alerts() -> None:
    readers = {name for name in ROLES if ("READ", "TOPIC", "yz.alerts.restricted") in _grants(name)}
    assert readers == {"privileged_operator", "worker"}


@pytest.mark.parametrize("alert_topic", [topics.ALERTS, topics.ALERTS_RESTRICTED, topics.COMMAND_RESULTS])
def test_only_the_worker_writes_the_alert_topics_and_the_answers(alert_topic: str) -> None:
    writers = {name for name in ROLES if ("WRITE", "TOPIC", CITY.topic(alert_topic)) in _grants(name)}
    assert writers == {"worker"}


def test_the_worker_gets_its_groups_and_internal_topics_by_prefix_but_no_create() -> None:
    grants = _grants("worker")
    assert ("READ", "GROUP", "citygate-yz") in grants and ("READ", "GROUP", "citygate-yz-hits") in grants
    assert ("WRITE", "TOPIC", "citygate-yz-*") in grants
    assert not {g for g in grants if g[0] in ("CREATE", "ALTER", "DELETE")}
    for name in topics.WORKER_INPUTS:
        assert ("READ", "TOPIC", CITY.topic(name)) in grants
    for name in topics.WORKER_OUTPUTS:
        assert ("WRITE", "TOPIC", CITY.topic(name)) in grants


def test_every_topic_has_a_writer_and_a_reader_among_the_roles() -> None:
    every = set().union(*(_grants(name) for name in ROLES))
    for name in topics.ALL:
        physical = CITY.topic(name)
        assert ("WRITE", "TOPIC", physical) in every, name
        assert ("READ", "TOPIC", physical) in every, name


def test_no_role_is_granted_anything_on_the_cluster_or_everything() -> None:
    for name in ROLES:
        for acl in acls(role(name), "User:x", CITY):
            assert acl.resource_type in ("TOPIC", "GROUP") and acl.resource_name not in ("*", "")


def test_acls_are_sorted_unique_and_printable() -> None:
    found = acls(role("ops"), "User:ops-1", CITY)
    assert found == sorted(set(found))
    assert isinstance(found[0], Acl) and found[0].line().startswith("User:ops-1 ALLOW ")


def test_an_unknown_role_says_which_exist() -> None:
    with pytest.raises(UnknownRole, match="the roles are gateway, "):
        role("janitor")


def test_only_the_forces_admin_writes_the_unit_registry() -> None:
    writers = {name for name in ROLES if ("WRITE", "TOPIC", "yz.units.registry") in _grants(name)}
    assert writers == {"forces_admin"}
