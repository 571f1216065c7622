"""Topic administration on the real broker: idempotent creation, and a clear refusal of a wrong layout."""

from __future__ import annotations

import os
import uuid

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from streams.settings import Settings
from streams.tools.admin import create_topics, delete_topics, existing_topics, topic_problems
from streams.topics import public_topics

pytestmark = pytest.mark.kafka


def test_create_is_idempotent_and_a_stale_command_side_topic_is_refused(kafka_bootstrap: str) -> None:
    settings = Settings.from_env(
        {
            **os.environ,
            "KAFKA_BOOTSTRAP": kafka_bootstrap,
            "CITYGATE_TOPIC_PREFIX": f"adm{uuid.uuid4().hex[:8]}.",
        }
    )
    names = [settings.topic(spec.name) for spec in public_topics(settings)]
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(settings.topic("alerts"), 3, 1)])  # as an older citygate made it
        created, existing = create_topics(settings)
        assert [s.name for s in existing] == ["alerts"] and len(created) == len(names) - 1
        assert set(names) <= existing_topics(settings)
        again_created, _ = create_topics(settings)
        assert again_created == []
        [problem] = topic_problems(settings)
        assert "alerts has 3 partitions" in problem and "needs 1" in problem
    finally:
        admin.close()
        delete_topics(settings, names)
