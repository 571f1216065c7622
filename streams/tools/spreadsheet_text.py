"""The text of a CSV file as agencies send them: UTF-8 from most tools, GB18030/GBK from the Chinese
spreadsheet tools (Excel and WPS on a Chinese Windows save "CSV" in the system code page, GBK).

Detection tries UTF-8 (with or without a byte-order mark) first: a GBK file is almost never valid UTF-8,
while ASCII and UTF-8 files are often valid GB18030. Then GB18030, a superset of GBK (and of GB2312), so
one attempt covers all three. An operator can force any codec Python knows with `--encoding NAME`.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

DETECTED = ("utf-8-sig", "gb18030")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class TextEncodingError(ValueError):
    """A file that is not text in the encodings tried; the message is one line naming the file and
    suggesting --encoding."""


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str  # the codec that read it (`utf-8-sig` for UTF-8 with or without a BOM)


def known_encoding(name: str) -> str:
    """The canonical name of a codec Python knows (`GBK` → `gbk`); LookupError when it knows none."""
    return codecs.lookup(name).name


def decode_text(data: bytes, source: str, encoding: str | None = None) -> DecodedText:
    """The text of `data` (the contents of `source`, for messages): in `encoding` when given, else the
    first of UTF-8 and GB18030 that reads all of it."""
    tried = (encoding,) if encoding else DETECTED
    first_failure: UnicodeDecodeError | None = None
    for name in tried:
        try:
            return DecodedText(data.decode(name), name)
        except UnicodeDecodeError as exc:
            first_failure = first_failure or exc
    assert first_failure is not None  # noqa: S101 (`tried` is never empty)
    offset = first_failure.start
    line = data.count(b"\n", 0, offset) + 1  # newline bytes: exact in UTF-8 and GB18030
    where = f"byte 0x{data[offset]:02x} at line {line}"
    if encoding:
        raise TextEncodingError(
            f"{source}: not {encoding} text ({where}); give the file's encoding with --encoding NAME"
        )
    if data.startswith(_UTF16_BOMS):
        raise TextEncodingError(
            f"{source}: UTF-16 text (it starts with a UTF-16 byte-order mark), neither UTF-8 nor "
            "GB18030/GBK: import it with --encoding utf-16"
        )
    raise TextEncodingError(
        f"{source}: neither UTF-8 nor GB18030/GBK text ({where}); give the file's encoding with "
        "--encoding NAME (e.g. big5, latin-1)"
    )
