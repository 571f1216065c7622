from datetime import timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from streams.codecs import parse_entry, parse_hit
from streams.domain.exceptions import InvalidInput
from streams.domain.matching.alerts import MatchPolicy, Ref, match_hit
from streams.domain.matching.equivalence import (
    CONFUSABLE_CLASSES,
    CONFUSABLE_MATES,
    are_equivalent,
    differences,
    equivalence_key,
)
from streams.domain.matching.hits import HitLimits
from streams.domain.matching.plates import is_valid_plate
from streams.domain.matching.watchlist import WatchlistIndex
from tests.unit.domain.matching.test_plates import valid_plates
from tests.unit.fixtures import NOW, entry_message, hit_message

REF = Ref("anpr.hits", "h", 0, 0)
SERIAL_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
serials = st.text(alphabet=SERIAL_CHARS, min_size=5, max_size=5)
CONFUSABLE = {char: group for group in CONFUSABLE_CLASSES for char in group}


def index_of(*plates: str) -> WatchlistIndex:
    index = WatchlistIndex()
    for n, plate in enumerate(plates):
        index.upsert(parse_entry(f"WL-{n}", entry_message(entry_id=f"WL-{n}", plate=plate)))
    return index


DEFAULT_POLICY = MatchPolicy()


def matches(
    read: str, index: WatchlistIndex, policy: MatchPolicy = DEFAULT_POLICY, **hit: object
) -> list[tuple]:
    alerts = match_hit(
        parse_hit(hit_message(plate_text=read, **hit), now=NOW), index, now=NOW, hit_ref=REF, policy=policy
    )
    return [(a.match.entry_id, a.match.match_type, len(a.match.differences)) for a in alerts if a.match]


def test_confusable_substitution_matches_and_says_what_differed() -> None:
    index = index_of("苏KB0693")
    alerts = match_hit(parse_hit(hit_message(plate_text="苏K80693"), now=NOW), index, now=NOW, hit_ref=REF)
    assert len(alerts) == 1 and alerts[0].match is not None
    assert alerts[0].match.match_type == "ocr_equivalent"
    assert [(d.position, d.read, d.listed) for d in alerts[0].match.differences] == [(2, "8", "B")]
    assert "苏KB0693" in alerts[0].summary_en


def test_substitution_limit_is_a_setting() -> None:
    index = index_of("苏KB0Z93")  # read 苏K80293: two substitutions (8/B, 2/Z)
    assert matches("苏K80293", index) == [("WL-0", "ocr_equivalent", 2)]
    assert matches("苏K80293", index, MatchPolicy(max_substitutions=1)) == []
    assert matches("苏K80293", index, MatchPolicy(max_substitutions=0)) == []


def test_non_confusable_difference_never_matches() -> None:
    assert matches("苏K12346", index_of("苏K12345"), candidates=[]) == []


def test_exact_beats_equivalent() -> None:
    index = index_of("苏K80693", "苏KB0693")
    assert matches("苏K80693", index) == [("WL-0", "exact", 0), ("WL-1", "ocr_equivalent", 1)]


def test_alternative_readings_above_the_floor_are_tried() -> None:
    index = index_of("苏K12346")
    low = [{"text": "苏K12346", "confidence": 0.1}]
    high = [{"text": "苏K12346", "confidence": 0.6}]
    assert matches("苏K12345", index, candidates=low) == []
    assert matches("苏K12345", index, candidates=high) == [("WL-0", "candidate", 0)]
    # and OCR equivalence applies to them too
    assert matches("苏K12345", index_of("苏K1Z346"), candidates=high) == [("WL-0", "ocr_equivalent", 1)]


def test_expired_entries_never_match_by_equivalence() -> None:
    index = WatchlistIndex()
    index.upsert(
        parse_entry(
            "WL-0",
            entry_message(
                entry_id="WL-0",
                plate="苏KB0693",
                valid_until=(NOW - timedelta(seconds=1)).isoformat(),
                valid_from=(NOW - timedelta(days=1)).isoformat(),
            ),
        )
    )
    assert matches("苏K80693", index) == []


@given(serials, st.lists(st.integers(0, 4), max_size=5), st.integers(0, 3), st.randoms())
def test_never_beyond_the_limit_and_always_finds_exact(
    serial: str, positions: list[int], limit: int, rng
) -> None:
    listed = "苏K" + serial
    read = list(listed)
    for position in positions:  # confusable substitutions at chosen serial positions
        group = CONFUSABLE.get(read[2 + position])
        if group:
            read[2 + position] = rng.choice(group.replace("I", "1").replace("O", "0"))
    read_text = "".join(read)
    found = matches(read_text, index_of(listed), MatchPolicy(max_substitutions=limit), candidates=[])
    substituted = len(differences(read_text, listed))
    if substituted == 0:
        assert found == [("WL-0", "exact", 0)]
    elif substituted <= limit:
        assert found == [("WL-0", "ocr_equivalent", substituted)]
    else:
        assert found == []


@given(
    st.text(alphabet="0ODQ1I2Z5S8B6GK7", min_size=5, max_size=5),
    st.text(alphabet="0ODQ1I2Z5S8B6GK7", min_size=5, max_size=5),
    st.integers(0, 5),
)
def test_equivalence_is_symmetric(a: str, b: str, limit: int) -> None:
    assert are_equivalent(a, b, limit) == are_equivalent(b, a, limit)
    assert are_equivalent(a, a, 0)
    if are_equivalent(a, b, limit):
        assert equivalence_key(a) == equivalence_key(b)


def test_lookup_inspects_only_entries_sharing_the_key() -> None:
    """O(1) in the list's size: 10 or 5,000 unrelated entries, the same entries are compared."""
    inspected = []
    for size in (10, 5000):
        index = index_of("苏KB0693", *(f"苏A{n:05d}" for n in range(size)))
        index.inspected = 0
        assert matches("苏K80693", index) == [("WL-0", "ocr_equivalent", 1)]
        inspected.append(index.inspected)
    assert inspected[0] == inspected[1] <= 2


def test_a_read_with_i_or_o_in_the_serial_is_repaired_and_matches_as_ocr_equivalent() -> None:
    # GA 36-2018 serials never hold I or O: such a read is the OCR engine's 1 or 0, not a bad message.
    hit = parse_hit(hit_message(plate_text="苏K·1234O", candidates=[]), now=NOW)
    assert hit.plate.normalised == "苏K12340" and hit.read_as == "苏K1234O"
    alerts = match_hit(hit, index_of("苏K12340"), now=NOW, hit_ref=REF)
    assert len(alerts) == 1 and alerts[0].match is not None
    assert alerts[0].match.match_type == "ocr_equivalent"  # never `exact`: the camera did not read that
    assert alerts[0].match.matched_text == "苏K1234O"
    assert [(d.position, d.read, d.listed) for d in alerts[0].match.differences] == [(6, "O", "0")]
    assert alerts[0].plate == "苏K12340" and alerts[0].plate_raw == "苏K·1234O"
    # With equivalence turned off nothing is repaired: the read is no plate at all.
    with pytest.raises(InvalidInput):
        parse_hit(hit_message(plate_text="苏KI234O"), now=NOW, limits=HitLimits(max_substitutions=0))


@settings(max_examples=300, deadline=None)
@given(valid_plates(), st.data())
def test_a_listed_plate_read_with_confusables_where_the_grammar_forbids_them_still_alerts(
    case: tuple[str, object], data: st.DataObject
) -> None:
    """The class of issue 13.1: any valid plate read with up to two confusable substitutions that make it
    fail the grammar (S for 5 in a new-energy serial, O for 0, ...) is matched to the listed plate as
    OCR-equivalent, and the alert names the listed plate; a read that stays valid is another plate."""
    listed, _ = case
    positions = [i for i, ch in enumerate(listed) if ch in CONFUSABLE_MATES]
    assume(positions)
    chosen = data.draw(st.lists(st.sampled_from(positions), min_size=1, max_size=2, unique=True))
    read = list(listed)
    for position in chosen:
        read[position] = data.draw(st.sampled_from(CONFUSABLE_MATES[listed[position]]))
    text = "".join(read)
    assume(not is_valid_plate(text))
    hit = parse_hit(hit_message(plate_text=text, candidates=[]), now=NOW)
    alerts = match_hit(hit, index_of(listed), now=NOW, hit_ref=REF)
    assert len(alerts) == 1 and alerts[0].match is not None
    assert alerts[0].match.match_type == "ocr_equivalent"
    assert alerts[0].plate == listed and alerts[0].plate_raw == text
    assert alerts[0].match.matched_text == text
    assert {d.position for d in alerts[0].match.differences} == set(chosen)


def test_a_candidate_matching_exactly_beats_the_repair() -> None:
    high = [{"text": "苏K12340", "confidence": 0.6}]
    assert matches("苏K1234O", index_of("苏K12340"), candidates=high) == [("WL-0", "candidate", 0)]


def test_equivalence_on_a_repaired_read_counts_from_the_text_as_read() -> None:
    # Read 苏K8234O; listed 苏KB2340: the O→0 repair and the 8/B confusion are both differences.
    assert matches("苏K8234O", index_of("苏KB2340"), candidates=[]) == [("WL-0", "ocr_equivalent", 2)]
