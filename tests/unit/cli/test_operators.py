"""`citygate operators` without a broker: the root's key file, and the registry records the CLI signs are
ones the worker accepts."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from streams.cli import main
from streams.cli.operators import registry_value
from streams.codecs.signed import parse_registry
from streams.domain.identity.gate import Gate, NonceBook, authenticate
from streams.domain.identity.registry import Registry, fold_registry_record, root_person
from streams.domain.identity.signatures import SignaturePolicy
from streams.signing import SigningKey, read_key_file, verify

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_root_writes_an_owner_only_key_file_and_prints_its_settings(tmp_path: Path) -> None:
    out = tmp_path / "root.key"
    result = CliRunner().invoke(main, ["operators", "root", "--key-out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    key = read_key_file(out)
    assert f"CITYGATE_REGISTRY_ROOT_KEY={key.public_key_b64}" in result.output
    again = CliRunner().invoke(main, ["operators", "root", "--key-out", str(out)])
    assert again.exit_code != 0 and "exists" in again.output


def test_the_records_the_cli_signs_are_folded_by_the_worker() -> None:
    root = SigningKey.generate("root")
    carol = SigningKey.generate("carol")
    value = registry_value("carol", carol.public_key_b64, ["commander"], "active", root, NOW)
    person, status, signature, signed = parse_registry("carol", value, max_bytes=1 << 16)
    registry = Registry(root_person("root", root.public_key))
    gate = Gate(registry, verify, SignaturePolicy(), NonceBook(SignaturePolicy()))
    signer = authenticate(gate, signature, signed, arrived_at=NOW)
    folded = fold_registry_record(registry, person, status=status, signer=signer, arrived_at=NOW)
    assert folded.find("carol") == person


def test_add_needs_an_administrators_key(tmp_path: Path) -> None:
    result = CliRunner(env={"CITYGATE_OPERATOR_KEY_FILE": ""}).invoke(
        main, ["operators", "add", "carol", "--role", "commander", "--key-out", str(tmp_path / "c.key")]
    )
    assert result.exit_code != 0 and "CITYGATE_OPERATOR_KEY_FILE" in result.output
    assert not (tmp_path / "c.key").exists()
