from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.codecs import parse_hit
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.hits import HitLimits
from tests.unit.fixtures import DROP, NOW, hit_message
from tests.unit.test_contracts import validator


def reason(message: object) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_hit(message, now=NOW)
    return caught.value.code, caught.value.detail


def test_valid_hit_is_parsed_and_plate_normalised() -> None:
    hit = parse_hit(hit_message(), now=NOW)
    assert hit.plate.normalised == "苏K12345"
    assert hit.plate.raw == "苏K·12345"
    assert hit.lane == 2 and hit.direction == "inbound"
    assert hit.event_time.tzinfo is not None
    assert [c.text for c in hit.candidates] == ["苏K·12345", "沪B2345C"]


def test_minimal_hit_has_defaults() -> None:
    hit = parse_hit(
        hit_message(
            candidates=DROP, vehicle_type=DROP, vehicle_colour=DROP, image_refs=DROP, gateway_id=DROP
        ),
        now=NOW,
    )
    assert hit.candidates == () and hit.image_refs == () and hit.vehicle_type is None


@pytest.mark.parametrize(
    ("message", "code", "words"),
    [
        (hit_message(hit_id=DROP), "missing_field", "hit_id"),
        (hit_message(lane="2"), "wrong_type", "lane"),
        (hit_message(lane=True), "wrong_type", "lane"),
        (hit_message(lane=0), "invalid_value", "lane"),
        (hit_message(lane=99), "invalid_value", "lane"),
        (hit_message(plate_confidence=7.5), "invalid_value", "plate_confidence"),
        (hit_message(direction="sideways"), "invalid_value", "direction"),
        (hit_message(event_time="2026-11-29T12:00:00"), "invalid_value", "offset"),
        (hit_message(event_time="yesterday"), "invalid_value", "event_time"),
        (hit_message(event_time="2026-02-30T12:00:00Z"), "invalid_value", "real date"),
        (hit_message(plate_text="ABC123"), "plate_format", "plate_text"),
        (hit_message(plate_text=""), "invalid_value", "plate_text"),
        (hit_message(extra="x"), "unknown_field", "extra"),
        (hit_message(schema_version=2), "invalid_value", "schema_version"),
        (hit_message(checkpoint_id="YZ EC 1"), "invalid_value", "checkpoint_id"),
        (hit_message(candidates=[{"text": "苏K12345"}]), "missing_field", "candidates[0]"),
        (hit_message(candidates=[{"text": "苏K12345", "confidence": 2}]), "invalid_value", "candidates[0]"),
        (hit_message(candidates=[{"text": "苏K1", "confidence": 0.1}] * 11), "invalid_value", "candidates"),
        (hit_message(candidates="苏K12345"), "wrong_type", "candidates"),
        (hit_message(image_refs=[""]), "invalid_value", "image_refs[0]"),
        ([1, 2], "not_an_object", "object"),
    ],
)
def test_defects_are_named(message: object, code: str, words: str) -> None:
    got_code, detail = reason(message)
    assert got_code == code
    assert words in detail


def test_integral_float_counts_as_integer_like_json_schema() -> None:
    assert parse_hit(hit_message(lane=3.0), now=NOW).lane == 3
    assert reason(hit_message(lane=2.5))[0] == "wrong_type"


def test_event_time_far_in_the_future_is_absurd() -> None:
    code, detail = reason(hit_message(event_time=(NOW + timedelta(hours=2)).isoformat()))
    assert code == "invalid_value" and "future" in detail
    # within the allowed skew it is fine
    parse_hit(hit_message(event_time=(NOW + timedelta(minutes=4)).isoformat()), now=NOW)


def test_event_time_beyond_retention_is_absurd() -> None:
    old = (NOW - timedelta(days=31)).isoformat()
    assert reason(hit_message(event_time=old))[0] == "invalid_value"
    assert parse_hit(hit_message(event_time=old), now=NOW, limits=HitLimits(max_age=timedelta(days=40)))


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("苏K1234O", "苏K12340"),  # I and O never appear in serials: 1 and 0 to the eye
        ("苏KI2345", "苏K12345"),
        ("苏KD1234O", "苏KD12340"),
        ("苏Ko234警", "苏K0234警"),
        ("苏KD1234S", "苏KD12345"),  # new energy: the last four are digits, S is 5
        ("苏KD12B45", "苏KD12845"),  # B for 8
        ("苏KF2Z345", "苏KF22345"),  # Z for 2: a small new-energy serial ends in four digits
        ("苏K1234GD", "苏K12346D"),  # large new energy: G for 6 before the D
        ("苏KQ2345D", "苏K02345D"),  # Q for 0
        ("苏KSB345F", "苏K58345F"),  # two substitutions: the limit
        ("苏O12345", "苏D12345"),  # an O where a letter must be: the first letter of its class
        ("苏812345", "苏B12345"),  # an 8 where the issuing authority's letter is: B
    ],
)
def test_a_read_that_only_confusable_characters_keep_from_being_a_plate_is_repaired(
    read: str, repaired: str
) -> None:
    hit = parse_hit(hit_message(plate_text=read), now=NOW)
    assert hit.plate.normalised == repaired and hit.read_as == read.upper()


@pytest.mark.parametrize(
    "read",
    [
        "苏K12O4",  # too short whatever the repair
        "苏K1234OO5",  # too long
        "苏KOOOOOX",  # X is no confusable
        "苏KSBS45F",  # three substitutions needed: over the limit
        "XK12345",  # no province
        "苏K123456789",
    ],
)
def test_what_no_repair_within_the_limit_makes_a_plate_is_still_a_plate_format_dead_letter(read: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_hit(hit_message(plate_text=read), now=NOW)
    assert error.value.code == "plate_format"


def test_repairs_stay_within_the_substitution_limit() -> None:
    with pytest.raises(InvalidInput, match="plate_text"):
        parse_hit(hit_message(plate_text="苏K1234O"), now=NOW, limits=HitLimits(max_substitutions=0))
    one = HitLimits(max_substitutions=1)
    assert parse_hit(hit_message(plate_text="苏KD1234S"), now=NOW, limits=one).read_as == "苏KD1234S"
    with pytest.raises(InvalidInput):
        parse_hit(hit_message(plate_text="苏KSB345F"), now=NOW, limits=one)


def test_a_valid_read_is_not_marked_as_repaired() -> None:
    assert parse_hit(hit_message(), now=NOW).read_as is None


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, min_value=-2, max_value=2),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
)
_candidate_items = st.one_of(
    st.fixed_dictionaries({"text": _values, "confidence": _values}),
    st.dictionaries(st.sampled_from(["text", "confidence", "other"]), _values, max_size=3),
    _values,
)


@settings(max_examples=300, deadline=None)
@given(_candidate_items)
def test_the_typed_decoder_accepts_exactly_the_candidates_the_schema_does(item: object) -> None:
    """Code and contract agree: a hit whose candidate is `item` is valid to the JSON Schema exactly when the
    typed decoder accepts it (the plate grammar aside: candidates are alternative readings, not plates)."""
    message = hit_message(candidates=[item])
    try:
        parse_hit(message, now=NOW)
        accepted = True
    except InvalidInput:
        accepted = False
    assert accepted == validator("anpr.hits").is_valid(message)
