"""The retro scan decodes a hit whole only when its readings share a bucket with an entry looked for: the
prefilter never drops a hit the full match would alert on."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from streams import codecs
from streams.domain.matching.alerts import Ref
from streams.domain.matching.equivalence import CONFUSABLE_MATES
from streams.domain.matching.retro import RetroMatcher
from tests.unit.domain.matching.test_plates import valid_plates
from tests.unit.domain.matching.test_retro import HORIZON, LIMITS, NOW, entry
from tests.unit.fixtures import hit_message

SEPARATED = st.sampled_from(["", "·", " ", "-"])


@settings(max_examples=300, deadline=None)
@given(valid_plates(), st.data(), SEPARATED, st.booleans())
def test_the_prefilter_keeps_every_hit_the_retro_match_alerts_on(
    listed: tuple[str, object], data: st.DataObject, separator: str, as_candidate: bool
) -> None:
    """The listed plate read as is, or with up to two confusable characters, separated, as the read or
    as a candidate: whenever the full match alerts, the prefilter kept the hit."""
    looked_for = entry(plate=listed[0])
    chars = list(listed[0])
    swappable = [i for i, ch in enumerate(chars) if ch in CONFUSABLE_MATES]
    for position in (
        data.draw(st.lists(st.sampled_from(swappable), max_size=2, unique=True)) if swappable else []
    ):
        chars[position] = data.draw(st.sampled_from(CONFUSABLE_MATES[chars[position]]))
    read = "".join(chars)
    text = read[:2] + separator + read[2:]
    message = hit_message(
        hit_id="h",
        event_time=(NOW - timedelta(minutes=30)).isoformat(),
        plate_text="苏A00001" if as_candidate else text,
        candidates=[{"text": text, "confidence": 0.9}] if as_candidate else [],
    )
    raw = codecs.encode(message)
    full = RetroMatcher([looked_for], since=HORIZON, now=NOW)
    full.feed(codecs.parse_hit(raw, now=NOW, limits=LIMITS), Ref("anpr.hits", "h"))
    alerted = bool(full.finish())
    kept = RetroMatcher([looked_for], since=HORIZON, now=NOW).could_match(codecs.hit_readings(raw))
    assert kept or not alerted
    if read == listed[0]:
        assert alerted  # the property is not vacuous: the plain read always alerts


def test_a_hit_that_is_no_hit_has_no_readings() -> None:
    assert codecs.hit_readings(b"{broken") == () and codecs.hit_readings(None) == ()
    assert codecs.hit_readings(b'{"plate_text": 5}') == ()
    assert codecs.hit_readings(codecs.encode(hit_message(plate_text="苏K·12345", candidates=[]))) == (
        "苏K·12345",
    )
