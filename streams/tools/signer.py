"""Signing what the tools write as a person (docs/operators.md, Signed records): the simulator's and the
scenarios' watchlist entries and operator commands, signed with CITYGATE_OPERATOR_KEY_FILE as the CLI signs.

Without a key file the records go unsigned, and a worker that checks signatures refuses them: the tools
say so once at start rather than leaving the operator to wonder why nothing alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from streams import topics
from streams.codecs.signed import signed_message
from streams.settings import Settings
from streams.signing import SigningKey, read_key_file

# The topics whose records a person stands behind (the registry's are signed by `citygate operators`).
SIGNED_TOPICS = frozenset({topics.WATCHLIST, topics.OPERATOR_COMMANDS})


class RecordSigner:
    """Signs the records of SIGNED_TOPICS with one key (or leaves them as they are without one)."""

    def __init__(self, key: SigningKey | None) -> None:
        self.key = key

    @classmethod
    def from_settings(cls, settings: Settings, echo: Callable[[str], None], tool: str) -> RecordSigner:
        """The signer of CITYGATE_OPERATOR_KEY_FILE (`KeyFileError` when it cannot be read); a line on
        `echo` when none is set."""
        if not settings.operator_key_file:
            echo(
                f"{tool}: CITYGATE_OPERATOR_KEY_FILE is not set: watchlist entries and commands go unsigned, "
                "and a worker that checks signatures refuses them"
            )
            return cls(None)
        return cls(read_key_file(Path(settings.operator_key_file)))

    def __call__(self, topic: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
        if self.key is None or topic not in SIGNED_TOPICS:
            return value
        if topic == topics.OPERATOR_COMMANDS:
            value = {**value, "operator_id": self.key.person_id}  # the signer gives it
        return signed_message(value, self.key.sign(topic=topic, key=key, value=value))
