"""Topic administration on the real broker: idempotent creation of the public topics and Faust's own (as
Faust would make them), and a clear refusal of a wrong layout."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from streams.settings import Settings
from streams.signing import SigningKey
from streams.tools.admin import create_topics, delete_topics, existing_topics, topic_problems
from streams.topics import TABLES, changelog_topic, faust_topics, leader_topic, worker_topics
from tests.keys import desk_key_file

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).parents[2]


@pytest.fixture
def settings(kafka_bootstrap: str) -> Iterator[Settings]:
    """A prefix and an app id of the test's own; every topic they name is deleted afterwards."""
    run = uuid.uuid4().hex[:8]
    made = Settings.from_env(
        {
            **os.environ,
            "KAFKA_BOOTSTRAP": kafka_bootstrap,
            "CITYGATE_APP_ID": f"citygate-adm-{run}",
            "CITYGATE_TOPIC_PREFIX": f"adm{run}.",
        }
    )
    yield made
    delete_topics(made, [spec.physical(made) for spec in worker_topics(made)])


def test_create_is_idempotent_and_a_stale_command_side_topic_is_refused(settings: Settings) -> None:
    names = [spec.physical(settings) for spec in worker_topics(settings)]
    with closing(KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))) as admin:
        # As an older citygate made it.
        admin.create_topics(
            {
                settings.topic("alerts"): {
                    "num_partitions": 3,
                    "replication_factor": settings.replication_factor,
                }
            }
        )
    created, existing = create_topics(settings)
    assert [s.name for s in existing] == ["alerts"] and len(created) == len(names) - 1
    assert set(names) <= existing_topics(settings)
    again_created, _ = create_topics(settings)
    assert again_created == []
    [problem] = topic_problems(settings)
    assert "alerts has 3 partitions" in problem and "needs 1" in problem


def test_faust_s_own_topics_are_made_as_faust_would_make_them(settings: Settings) -> None:
    create_topics(settings)
    internal = [spec.physical(settings) for spec in faust_topics(settings)]
    assert internal == [
        *(changelog_topic(settings.app_id, t) for t in TABLES),
        leader_topic(settings.app_id),
    ]
    with closing(KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))) as admin:
        described = {t["name"]: t for t in admin.describe_topics(internal)}
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs=["cleanup.policy"]) for name in internal]
        )["topic"]
    for name in internal:
        [partition] = described[name]["partitions"]
        assert len(partition["replica_nodes"]) == settings.replication_factor
        policy = configs[name].get("cleanup.policy", {}).get("value")
        assert policy == ("compact" if name.endswith("-changelog") else None), (name, configs[name])


def test_a_missing_changelog_stops_the_worker_with_one_line(settings: Settings, tmp_path: Path) -> None:
    create_topics(settings)
    missing = changelog_topic(settings.app_id, "lookouts")
    delete_topics(settings, [missing])
    assert topic_problems(settings) == [f"missing topic {missing}"]
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "CITYGATE_APP_ID": settings.app_id,
        "CITYGATE_TOPIC_PREFIX": settings.topic_prefix,
        "CITYGATE_REGISTRY_ROOT_KEY": SigningKey.generate("root").public_key_b64,
        "CITYGATE_WORKER_KEY_FILE": desk_key_file(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"Error: missing topic {missing} (`citygate topics create` creates missing ones)"
    ]
    again = subprocess.run(
        [sys.executable, "-m", "streams.cli", "topics", "create"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert f"created  {missing} (1 partitions)" in again.stdout
    assert topic_problems(settings) == []
