"""A CSV's text as Chinese spreadsheet tools save it: UTF-8 (BOM or not) first, then GB18030/GBK; a file
neither reads is one line naming it and the --encoding option."""

from __future__ import annotations

import codecs

import pytest

from streams.tools.spreadsheet_text import TextEncodingError, decode_text, known_encoding

CSV = "plate,category,priority,reason,source_agency\n苏A12345,stolen,1,车辆被盗（白色轿车）,扬州市公安局\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF8 + CSV.encode("utf-8"), "utf-8-sig"),
        (CSV.encode("gbk"), "gb18030"),  # what Excel and WPS write on a Chinese Windows
        (CSV.encode("gb18030"), "gb18030"),
        (b"plate,category\nA1,stolen\n", "utf-8-sig"),  # ASCII is UTF-8, never guessed as anything else
    ],
)
def test_utf8_then_gb18030_is_detected(data: bytes, encoding: str) -> None:
    decoded = decode_text(data, "list.csv")
    assert decoded.encoding == encoding
    assert decoded.text.lstrip("\ufeff").startswith("plate,category")
    if "苏" in decoded.text:
        assert decoded.text.lstrip("\ufeff") == CSV


def test_gb18030_beyond_gbk_is_read() -> None:
    text = "plate,reason\n苏A12345,㐀 and 😀 are GB18030 only\n"  # four-byte sequences GBK lacks
    assert decode_text(text.encode("gb18030"), "x.csv").text == text


def test_a_forced_encoding_is_the_only_one_tried() -> None:
    traditional = "plate,reason\n蘇A12345,車輛被盜\n"
    assert decode_text(traditional.encode("big5"), "tw.csv", "big5").text == traditional
    with pytest.raises(TextEncodingError) as refused:
        decode_text(CSV.encode("gbk"), "list.csv", "utf-8")
    assert str(refused.value) == (
        "list.csv: not utf-8 text (byte 0xcb at line 2); give the file's encoding with --encoding NAME"
    )


def test_a_file_neither_reads_is_one_line_suggesting_encoding() -> None:
    latin = "plate,reason\nA1,voiture volée, été\n".encode("latin-1")
    with pytest.raises(TextEncodingError) as refused:
        decode_text(latin, "fr.csv")
    message = str(refused.value)
    assert message.startswith("fr.csv: neither UTF-8 nor GB18030/GBK text (byte 0xe9 at line 2); ")
    assert "--encoding NAME" in message and "\n" not in message


def test_utf16_says_so() -> None:
    with pytest.raises(TextEncodingError, match=r"^u.csv: UTF-16 text .* --encoding utf-16$"):
        decode_text(CSV.encode("utf-16"), "u.csv")
    assert decode_text(CSV.encode("utf-16"), "u.csv", "utf-16").text == CSV


def test_encoding_names_are_checked() -> None:
    assert known_encoding("GBK") == "gbk" and known_encoding("GB18030") == "gb18030"
    with pytest.raises(LookupError):
        known_encoding("gb-whatever")
