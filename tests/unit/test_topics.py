"""streams/topics.py names Faust's own topics as the worker's Faust app names and makes them: when Faust
(pinned) or the worker's tables change, these fail before a cluster does."""

from __future__ import annotations

from pathlib import Path

import pytest
from faust.transport.drivers.aiokafka import Transport

from streams import topics
from streams.settings import Settings
from streams.signing import SigningKey
from streams.worker.app import build_app
from tests.keys import desk_key_file


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        app_id="yz-city",
        topic_prefix="yz.",
        replication_factor=3,
        data_dir=tmp_path,
        registry_root_key=SigningKey.generate("root").public_key_b64,
        worker_key_file=desk_key_file(tmp_path),
    )


def test_faust_s_topics_are_named_after_the_app_id_and_public_ones_under_the_prefix(
    settings: Settings,
) -> None:
    names = [spec.physical(settings) for spec in topics.worker_topics(settings)]
    assert names[: len(topics.public_topics(settings))] == [
        f"yz.{spec.name}" for spec in topics.public_topics(settings)
    ]
    assert names[len(topics.public_topics(settings)) :] == [
        "yz-city-incidents-changelog",
        "yz-city-lockdowns-changelog",
        "yz-city-lookouts-changelog",
        "yz-city-alert_book-changelog",
        "yz-city-registry-changelog",
        "yz-city-nonces-changelog",
        "yz-city-answers-changelog",
        "yz-city-units-changelog",
        "yz-city-unit_registry-changelog",
        "yz-city-__assignor-__leader",
    ]
    assert all(spec.internal and spec.faust_owned for spec in topics.faust_topics(settings))
    assert not any(spec.faust_owned for spec in topics.public_topics(settings))


def test_the_worker_builds_exactly_the_tables_whose_changelogs_are_made_up_front(settings: Settings) -> None:
    app = build_app(settings).app
    assert sorted(app.tables) == sorted(topics.TABLES)
    specs = {spec.name: spec for spec in topics.faust_topics(settings)}
    for table in app.tables.values():
        changelog = table.changelog_topic
        spec = specs[changelog.get_topic_name()]
        assert changelog.partitions == spec.partitions == table.partitions
        # No replicas of its own: Faust declares it with the app's topic_replication_factor, which
        # `citygate topics create` uses too.
        assert changelog.replicas is None
        made = Transport._topic_config(
            None,  # type: ignore[arg-type]  # the method reads nothing of the transport
            retention=changelog.retention,
            compacting=changelog.compacting,
            deleting=changelog.deleting,
        )
        assert {**made, **changelog.config} == spec.config == {"cleanup.policy": "compact"}
    assert app.conf.topic_replication_factor == settings.replication_factor


def test_the_leader_topic_is_the_one_faust_s_leader_election_declares(settings: Settings) -> None:
    app = build_app(settings).app
    leader = app._leader_assignor._leader_topic  # private: fails loudly when Faust moves it
    [spec] = [s for s in topics.faust_topics(settings) if s.name == leader.get_topic_name()]
    assert leader.partitions == spec.partitions == 1
    assert leader.replicas == settings.replication_factor
    assert not leader.compacting and not leader.deleting and not leader.retention and not leader.config
    assert spec.config == {}
