"""`citygate watchlist import` reads the CSV files Chinese spreadsheet tools save (GB18030/GBK) as well as
UTF-8; a dry run checks every row and sends nothing (KAFKA_BOOTSTRAP points nowhere to prove it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from streams.cli import main

ROWS = (
    "plate,category,priority,reason,source_agency\n"
    "苏A12345,stolen,1,车辆被盗：白色比亚迪秦，广陵区文昌中路,扬州市公安局\n"
    "苏K·D12345,wanted,2,涉嫌抢劫，驾车逃逸,淮安市公安局涟水分局\n"
)
NOWHERE = {"KAFKA_BOOTSTRAP": "127.0.0.1:1"}


def _import(path: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["watchlist", "import", str(path), "--dry-run", "--by", "o-1", *extra], env=NOWHERE
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_a_gb18030_file_is_detected_and_every_row_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "淮安协查.csv"
    path.write_bytes(ROWS.encode(encoding))
    code, out, err = _import(path)
    assert code == 0, err
    assert out == "would import 2 entries; 0 rows refused\n"
    assert err == f"{path}: not UTF-8; read as GB18030\n"


def test_the_rows_read_are_the_chinese_ones(tmp_path: Path) -> None:
    # A row refused for its content shows the decoded text: the plate and reason came through as written.
    path = tmp_path / "list.csv"
    path.write_bytes((ROWS + "苏A1,stolen,1,太短的车牌,扬州市公安局\n").encode("gb18030"))
    code, out, err = _import(path)
    assert code == 1 and "would import 2 entries; 1 rows refused" in out
    assert f"{path}: line 4: " in err and "苏A1" in err


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_a_bom_is_read_without_a_note(tmp_path: Path, prefix: bytes) -> None:
    path = tmp_path / "utf8.csv"
    path.write_bytes(prefix + ROWS.encode("utf-8"))
    assert _import(path) == (0, "would import 2 entries; 0 rows refused\n", "")


def test_encoding_forces_one(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(ROWS.encode("gbk"))
    assert _import(path, "--encoding", "GBK") == (0, "would import 2 entries; 0 rows refused\n", "")
    code, out, err = _import(path, "--encoding", "utf-8")
    assert code == 1 and out == ""
    assert err == (
        f"Error: {path}: not utf-8 text (byte 0xcb at line 2); "
        "give the file's encoding with --encoding NAME\n"
    )


def test_a_file_neither_encoding_reads_is_one_line(tmp_path: Path) -> None:
    # é before a comma is no GB18030 sequence (before a letter it reads as some Chinese character: a file
    # in a third encoding needs --encoding, and the refused rows show the garbled text).
    path = tmp_path / "latin.csv"
    path.write_bytes("plate,category,priority,reason,source_agency\nA1,stolen,1,volé,x\n".encode("latin-1"))
    code, out, err = _import(path)
    assert code == 1 and out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"Error: {path}: neither UTF-8 nor GB18030/GBK text") and "--encoding NAME" in err


def test_an_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(ROWS.encode("utf-8"))
    code, _, err = _import(path, "--encoding", "klingon")
    assert code == 2 and "no such encoding: 'klingon'" in err
