"""Unit tests for streams.domain.matching.plates: GA 36-2018 plate normalising and parsing."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from streams.domain.matching.plates import (
    Plate,
    PlateFormatError,
    PlateKind,
    is_valid_plate,
    normalise_plate,
    parse_plate,
)

# Spelled out here rather than imported, so a mistake in the module's own tables cannot hide.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
DIGITS = "0123456789"
ALNUM = LETTERS + DIGITS
SEPARATORS = [" ", "\t", "·", "•", "・", "‧", "-", ".", "\u3000", "－", "．"]


def wide(ch: str) -> str:
    """The full-width form of a printable ASCII character."""
    return chr(ord(ch) + 0xFEE0)


# --- normalise_plate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("苏K12345", "苏K12345"),
        ("苏K·12345", "苏K12345"),
        ("苏ｋ１２３４５", "苏K12345"),
        ("ＡＢＣ１２３", "ABC123"),
        ("苏k 123-45", "苏K12345"),
        ("苏\tK•1.2・3‧4\u30005", "苏K12345"),
        ("  苏K12345\n", "苏K12345"),
        ("苏Ｋ－１２３４５", "苏K12345"),
        ("", ""),
        (" · - ", ""),
        ("你好", "你好"),  # does not validate
        ("ab！", "AB!"),  # the rest of the full-width block folds too
    ],
)
def test_normalise_examples(raw: str, expected: str) -> None:
    assert normalise_plate(raw) == expected


def test_normalise_upper_cases_ascii_only() -> None:
    # Unicode case mapping would turn long s into S, dotless i into I and sharp s into SS, inventing plate
    # characters the camera never read; only ASCII (and full-width ASCII) letters are folded.
    assert normalise_plate("ſıß") == "ſıß"
    assert not is_valid_plate("苏K1234ſ")


@given(st.text())
@example("ａ－ｂ\u3000ｃ")
@example("ſ ß ﬀ")
def test_normalise_is_idempotent(raw: str) -> None:
    once = normalise_plate(raw)
    assert normalise_plate(once) == once


@given(st.text())
def test_normalise_leaves_no_separators_lower_case_or_full_width(raw: str) -> None:
    out = normalise_plate(raw)
    assert not any(sep in out for sep in SEPARATORS)
    assert not any("a" <= ch <= "z" for ch in out)
    assert not any("\uff01" <= ch <= "\uff5e" for ch in out)
    assert len(out) <= len(raw)


# --- parse_plate: accepted plates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised", "province", "authority", "serial", "kind"),
    [
        ("苏K12345", "苏K12345", "苏", "K", "12345", PlateKind.ORDINARY),
        ("苏K·12345", "苏K12345", "苏", "K", "12345", PlateKind.ORDINARY),
        ("苏ｋ１２３４５", "苏K12345", "苏", "K", "12345", PlateKind.ORDINARY),
        ("京A·B2C3D", "京AB2C3D", "京", "A", "B2C3D", PlateKind.ORDINARY),
        ("苏k1a2b3", "苏K1A2B3", "苏", "K", "1A2B3", PlateKind.ORDINARY),
        ("苏 K - 123 45", "苏K12345", "苏", "K", "12345", PlateKind.ORDINARY),
        ("苏-K-1-2-3-4-5", "苏K12345", "苏", "K", "12345", PlateKind.ORDINARY),
        ("苏KD12345", "苏KD12345", "苏", "K", "D12345", PlateKind.NEW_ENERGY_SMALL),
        ("沪AF·A1234", "沪AFA1234", "沪", "A", "FA1234", PlateKind.NEW_ENERGY_SMALL),
        ("粤Bk12345", "粤BK12345", "粤", "B", "K12345", PlateKind.NEW_ENERGY_SMALL),
        ("苏K12345D", "苏K12345D", "苏", "K", "12345D", PlateKind.NEW_ENERGY_LARGE),
        ("浙A 12345f", "浙A12345F", "浙", "A", "12345F", PlateKind.NEW_ENERGY_LARGE),
        ("苏K1234警", "苏K1234警", "苏", "K", "1234警", PlateKind.POLICE),
        ("苏K·1234警", "苏K1234警", "苏", "K", "1234警", PlateKind.POLICE),
        ("苏K1234学", "苏K1234学", "苏", "K", "1234学", PlateKind.COACH),
        ("苏K1234挂", "苏K1234挂", "苏", "K", "1234挂", PlateKind.TRAILER),
        ("粤Z1234港", "粤Z1234港", "粤", "Z", "1234港", PlateKind.HONG_KONG),
        ("粤Z·a123澳", "粤ZA123澳", "粤", "Z", "A123澳", PlateKind.MACAU),
        ("沪A1234领", "沪A1234领", "沪", "A", "1234领", PlateKind.CONSULATE),
        ("沪A12345领", "沪A12345领", "沪", "A", "12345领", PlateKind.CONSULATE),
        ("京A1234使", "京A1234使", "京", "A", "1234使", PlateKind.EMBASSY),
        ("京A12345使", "京A12345使", "京", "A", "12345使", PlateKind.EMBASSY),
        ("使224·001", "使224001", "", "", "使224001", PlateKind.EMBASSY),
        ("使２２４００１", "使224001", "", "", "使224001", PlateKind.EMBASSY),
    ],
)
def test_parse_accepts(
    raw: str, normalised: str, province: str, authority: str, serial: str, kind: PlateKind
) -> None:
    plate = parse_plate(raw)
    assert plate == Plate(raw, normalised, province, authority, serial, kind)
    assert plate.raw == raw
    assert plate.normalised == normalised
    assert plate.province == province
    assert plate.authority == authority
    assert plate.serial == serial
    assert plate.kind is kind
    assert is_valid_plate(raw)


def test_every_listed_province_is_accepted() -> None:
    assert len(set(PROVINCES)) == 31
    for province in PROVINCES:
        assert parse_plate(f"{province}A12345").province == province


def test_every_authority_letter_is_accepted() -> None:
    for letter in LETTERS:
        assert parse_plate(f"苏{letter}12345").authority == letter


# --- parse_plate: rejected text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty plate"),
        (" ", "only separators"),
        ("·-· \u3000", "only separators"),
        ("ABC123", "unknown province character 'A'"),
        ("XK12345", "unknown province character 'X'"),
        ("台A12345", "unknown province character '台'"),
        ("港A12345", "unknown province character '港'"),
        ("你好世界", "unknown province character '你'"),
        ("苏州市公安局", "issuing-authority must be a letter A-Z, got '州'"),
        ("苏", "missing issuing-authority letter"),
        ("苏112345", "issuing-authority must be a letter A-Z, got '1'"),
        ("苏I12345", "issuing-authority letter cannot be I or O, got 'I'"),
        ("苏o12345", "issuing-authority letter cannot be I or O, got 'O'"),
        ("苏KI2345", "serial contains I or O"),
        ("苏K1234o", "serial contains I or O"),
        ("苏KO234警", "serial contains I or O"),
        ("苏K", "expected 5 serial characters for an ordinary plate, got 0"),
        ("苏K1234", "expected 5 serial characters for an ordinary plate, got 4"),
        ("苏K1234567", "expected 5 (ordinary) or 6 (new-energy) serial characters, got 7"),
        ("苏KL12345", "small new-energy serial must start with one of A-H, J, K"),
        ("苏KD1234A", "small new-energy serial must end in 4 digits"),
        ("苏KD1A234", "small new-energy serial must end in 4 digits"),
        ("苏K12345A", "large new-energy serial must end in D or F"),
        ("苏K1234AD", "large new-energy serial must start with 5 digits"),
        ("WJ01·1234", "armed-police (WJ) plates are out of scope"),
        ("WJ苏12345", "armed-police (WJ) plates are out of scope"),
        ("KA12345", "military and non-mainland plates are out of scope"),
        ("苏K123警", "expected 4 serial characters before '警', got 3"),
        ("苏K12345警", "expected 4 serial characters before '警', got 5"),
        ("苏K123456领", "expected 4 or 5 serial characters before '领', got 6"),
        ("沪A1234A领", "expected 5 digits before '领'"),
        ("苏K12警34", "marker '警' must be the last serial character"),
        ("苏K123警警", "marker '警' must be the last serial character"),
        ("苏K1234港", "港 plates are only issued as 粤Z"),
        ("粤B1234澳", "澳 plates are only issued as 粤Z"),
        ("苏A1234临", "unsupported plate marker '临'"),
        ("苏A123应急", "unsupported plate marker '应'"),
        ("苏K12?45", "serial contains invalid character '?'"),
        ("苏K1234ſ", "serial contains invalid character 'ſ'"),
        ("使22400", "expected 6 digits after 使"),
        ("使A24001", "expected 6 digits after 使"),
        ("使2240012", "expected 6 digits after 使"),
    ],
)
def test_parse_rejects(raw: str, reason: str) -> None:
    with pytest.raises(PlateFormatError) as caught:
        parse_plate(raw)
    assert reason in caught.value.reason
    assert caught.value.text == raw
    assert str(caught.value) == f"{caught.value.reason} (plate text {raw!r})"
    assert isinstance(caught.value, ValueError)
    assert not is_valid_plate(raw)


@pytest.mark.parametrize(("size", "shown"), [(32, 32), (33, 32), (201, 32)])
def test_error_truncates_long_text_to_32_characters(size: int, shown: int) -> None:
    raw = "苏" + "Z" * (size - 1)
    with pytest.raises(PlateFormatError) as caught:
        parse_plate(raw)
    assert caught.value.text == raw[:shown] + ("…" if size > shown else "")
    assert len(str(caught.value)) < 120


def test_error_survives_pickling() -> None:
    error = PlateFormatError("serial contains I or O", "苏K" + "O" * 40)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.reason, copy.text, str(copy)) == (error.reason, error.text, str(error))


# --- Plate ------------------------------------------------------------------------------------------------


def test_plate_is_frozen_and_equality_ignores_raw() -> None:
    a = parse_plate("苏K·12345")
    b = parse_plate("苏ｋ１２３４５")
    assert a == b
    assert hash(a) == hash(b)
    assert a.raw != b.raw
    assert a != parse_plate("苏K12346")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.serial = "99999"  # type: ignore[misc]
    assert not hasattr(a, "__dict__")  # slots


def test_kind_values_are_the_wire_form() -> None:
    assert [k.value for k in PlateKind] == [
        "ordinary",
        "new_energy_small",
        "new_energy_large",
        "police",
        "coach",
        "trailer",
        "hong_kong",
        "macau",
        "embassy",
        "consulate",
    ]
    assert PlateKind("police") is PlateKind.POLICE
    assert f"{PlateKind.HONG_KONG}" == "hong_kong"


# --- properties --------------------------------------------------------------------------------------------


@st.composite
def valid_plates(draw: st.DrawFn) -> tuple[str, PlateKind]:
    """A normalised valid plate and its kind, built from this file's own reading of GA 36-2018."""

    def chars(alphabet: str, n: int) -> str:
        return draw(st.text(alphabet=alphabet, min_size=n, max_size=n))

    kind = draw(st.sampled_from(PlateKind))
    head = chars(PROVINCES, 1) + chars(LETTERS, 1)
    if kind is PlateKind.ORDINARY:
        return head + chars(ALNUM, 5), kind
    if kind is PlateKind.NEW_ENERGY_SMALL:
        return head + chars("ABCDEFGHJK", 1) + chars(ALNUM, 1) + chars(DIGITS, 4), kind
    if kind is PlateKind.NEW_ENERGY_LARGE:
        return head + chars(DIGITS, 5) + chars("DF", 1), kind
    if kind in (PlateKind.HONG_KONG, PlateKind.MACAU):
        return "粤Z" + chars(ALNUM, 4) + ("港" if kind is PlateKind.HONG_KONG else "澳"), kind
    marker = {
        PlateKind.POLICE: "警",
        PlateKind.COACH: "学",
        PlateKind.TRAILER: "挂",
        PlateKind.EMBASSY: "使",
        PlateKind.CONSULATE: "领",
    }[kind]
    if kind is PlateKind.EMBASSY and draw(st.booleans()):
        return "使" + chars(DIGITS, 6), kind
    if kind in (PlateKind.EMBASSY, PlateKind.CONSULATE) and draw(st.booleans()):
        return head + chars(DIGITS, 5) + marker, kind
    return head + chars(ALNUM, 4) + marker, kind


@st.composite
def disguised(draw: st.DrawFn, plate: str) -> str:
    """``plate`` as a camera might send it: separators anywhere, full-width and lower-case ASCII."""
    out: list[str] = []
    for ch in plate:
        out.extend(draw(st.lists(st.sampled_from(SEPARATORS), max_size=2)))
        if ch.isascii():
            if ch.isalpha() and draw(st.booleans()):
                ch = ch.lower()
            if draw(st.booleans()):
                ch = wide(ch)
        out.append(ch)
    out.extend(draw(st.lists(st.sampled_from(SEPARATORS), max_size=2)))
    return "".join(out)


@given(valid_plates())
def test_generated_plates_parse_as_generated(case: tuple[str, PlateKind]) -> None:
    text, kind = case
    plate = parse_plate(text)
    assert plate.normalised == text
    assert plate.kind is kind
    assert plate.province + plate.authority + plate.serial == text
    assert plate.province in PROVINCES or (plate.province == "" and text.startswith("使"))


@given(st.data(), valid_plates())
def test_disguised_plates_parse_to_the_same_plate(data: st.DataObject, case: tuple[str, PlateKind]) -> None:
    text, kind = case
    raw = data.draw(disguised(text))
    plate = parse_plate(raw)
    assert plate.normalised == normalise_plate(raw) == text
    assert plate.kind is kind
    assert plate.raw == raw
    assert parse_plate(plate.normalised) == plate


@given(valid_plates(), st.data())
def test_i_or_o_anywhere_in_the_serial_is_rejected(case: tuple[str, PlateKind], data: st.DataObject) -> None:
    text, _ = case
    if text.startswith("使"):
        return  # no letters allowed there at all; covered by the examples
    at = data.draw(st.integers(min_value=2, max_value=len(text) - 1))
    bad = text[:at] + data.draw(st.sampled_from("IOio")) + text[at + 1 :]
    with pytest.raises(PlateFormatError, match="I or O"):
        parse_plate(bad)


@given(valid_plates(), st.data())
def test_unknown_province_is_rejected(case: tuple[str, PlateKind], data: st.DataObject) -> None:
    text, _ = case
    if text.startswith("使"):
        return
    head = data.draw(st.characters(exclude_characters=PROVINCES + "使").filter(lambda c: normalise_plate(c)))
    with pytest.raises(PlateFormatError):
        parse_plate(head + text[1:])


PLATE_ISH = PROVINCES[:6] + "粤" + LETTERS[:6] + "IOZ" + DIGITS[:4] + "DF警学挂港澳使领临·- ｋ"


@given(st.one_of(st.text(), st.text(alphabet=PLATE_ISH, max_size=10)))
@example("使")
@example("粤Z")
@example("苏K123456使")
def test_parse_only_ever_raises_plate_format_error(raw: str) -> None:
    try:
        plate = parse_plate(raw)
    except PlateFormatError as error:
        assert error.reason
        assert len(error.text) <= 33
        assert not is_valid_plate(raw)
        return
    assert is_valid_plate(raw)
    assert plate.normalised == normalise_plate(raw)
    assert plate.province + plate.authority + plate.serial == plate.normalised
    assert 7 <= len(plate.normalised) <= 8
    assert parse_plate(plate.normalised) == plate


@given(st.text(alphabet=PLATE_ISH, max_size=20))
def test_read_key_is_the_equivalence_key_of_the_normalised_read(raw: str) -> None:
    from streams.domain.matching.equivalence import equivalence_key
    from streams.domain.matching.plates import read_key

    assert read_key(raw) == equivalence_key(normalise_plate(raw))
