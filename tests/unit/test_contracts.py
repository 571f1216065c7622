"""schemas/ is the public contract: prove the code and the schemas agree, example by example.

Inputs: the decoders accept exactly the schema-valid examples (plus refuse the `valid-schema-bad-*` ones that
only code can judge). Outputs: whatever citygate produces validates against its topic's schema.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from streams.codecs import parse_command, parse_entry, parse_hit
from streams.domain.audit import audit_record
from streams.domain.deadletters import deadletter_message
from streams.domain.exceptions import REASON_CODES, InvalidInput
from streams.domain.incidents.lifecycle import IncidentSettings
from streams.domain.matching.alerts import Ref, match_hit
from streams.domain.matching.hits import HitLimits
from streams.domain.matching.reviews import review_alert
from streams.domain.matching.watchlist import CATEGORIES, WatchlistIndex
from tests.unit.fixtures import NOW, entry_message, hit_message

SCHEMAS = Path(__file__).parents[2] / "schemas"
# Time-relative checks are not part of the schema; judge the examples on everything else.
TIMELESS = HitLimits(max_age=timedelta(days=365 * 100), max_skew=timedelta(days=365 * 100))


@cache
def registry() -> Registry:
    """Every schema by its $id, so one schema can refer to another."""
    resources = [
        Resource.from_contents(json.loads(path.read_text())) for path in SCHEMAS.glob("*.schema.json")
    ]
    return Registry().with_resources((resource.id(), resource) for resource in resources)  # type: ignore[misc]


@cache
def validator(topic: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{topic}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(
        schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def examples(topic: str, kind: str) -> list[Any]:
    folder = SCHEMAS / "examples" / topic / kind
    files = sorted(folder.glob("*.json"))
    assert files, f"no examples in {folder}"
    return [pytest.param(json.loads(f.read_text()), id=f.stem) for f in files]


def decode_hit(message: Any) -> None:
    parse_hit(message, now=NOW, limits=TIMELESS)


def decode_entry(message: Any) -> None:
    key = message.get("entry_id") if isinstance(message, dict) else None
    parse_entry(key if isinstance(key, str) else None, message)


DECODERS = {"anpr.hits": decode_hit, "watchlist.entries": decode_entry}


@pytest.mark.parametrize(
    "topic",
    [
        "anpr.hits",
        "watchlist.entries",
        "alerts",
        "deadletter",
        "operator.commands",
        "audit",
        "command.results",
    ],
)
def test_every_schema_has_id_version_and_closed_objects(topic: str) -> None:
    schema = json.loads((SCHEMAS / f"{topic}.schema.json").read_text())
    assert schema["$id"].endswith(f"/{topic}.schema.json")
    assert schema["additionalProperties"] is False
    assert schema["properties"]["schema_version"]["const"] == 1


@pytest.mark.parametrize("message", examples("anpr.hits", "valid"))
def test_valid_hits_are_accepted_by_schema_and_code(message: Any) -> None:
    validator("anpr.hits").validate(message)
    decode_hit(message)


@pytest.mark.parametrize("message", examples("anpr.hits", "invalid"))
def test_invalid_hits_are_refused_by_schema_and_code(message: Any) -> None:
    assert not validator("anpr.hits").is_valid(message)
    with pytest.raises(InvalidInput):
        decode_hit(message)


@pytest.mark.parametrize("message", examples("anpr.hits", "valid-schema-bad-plate"))
def test_bad_plates_pass_the_schema_but_not_the_code(message: Any) -> None:
    validator("anpr.hits").validate(message)
    with pytest.raises(InvalidInput) as caught:
        decode_hit(message)
    assert caught.value.code == "plate_format"


@pytest.mark.parametrize("message", examples("watchlist.entries", "valid"))
def test_valid_entries_are_accepted_by_schema_and_code(message: Any) -> None:
    validator("watchlist.entries").validate(message)
    decode_entry(message)


@pytest.mark.parametrize("message", examples("watchlist.entries", "invalid"))
def test_invalid_entries_are_refused_by_schema_and_code(message: Any) -> None:
    assert not validator("watchlist.entries").is_valid(message)
    with pytest.raises(InvalidInput):
        decode_entry(message)


@pytest.mark.parametrize("message", examples("watchlist.entries", "valid-schema-bad-semantics"))
def test_semantically_bad_entries_pass_the_schema_but_not_the_code(message: Any) -> None:
    validator("watchlist.entries").validate(message)
    with pytest.raises(InvalidInput):
        decode_entry(message)


@pytest.mark.parametrize(("topic", "kind"), [("alerts", "valid"), ("deadletter", "valid")])
def test_output_examples_are_valid(topic: str, kind: str) -> None:
    check = validator(topic)
    for message in examples(topic, kind):
        check.validate(message.values[0])


def test_an_alert_s_plate_is_the_listed_plate_and_the_read_is_apart() -> None:
    """One meaning per field (the alerts schema): `plate` is the listed plate that matched."""
    from streams.domain.matching.plates import normalise_plate

    for message in examples("alerts", "valid"):
        alert = message.values[0]
        if alert.get("match"):
            assert alert["plate"] == normalise_plate(alert["match"]["listed_plate"]), message.id


def test_restricted_alerts_are_alerts() -> None:
    for message in examples("alerts", "valid"):
        validator("alerts.restricted").validate(message.values[0])
    for message in examples("alerts", "invalid"):
        assert not validator("alerts.restricted").is_valid(message.values[0])


def test_every_public_topic_has_a_schema() -> None:
    from streams.settings import Settings
    from streams.topics import public_topics

    have = {path.name.removesuffix(".schema.json") for path in SCHEMAS.glob("*.schema.json")}
    assert have == {spec.name for spec in public_topics(Settings()) if not spec.internal}


def test_deadletter_reason_codes_match_the_schema() -> None:
    schema = json.loads((SCHEMAS / "deadletter.schema.json").read_text())
    assert set(schema["properties"]["reason"]["properties"]["code"]["enum"]) == REASON_CODES


@pytest.mark.parametrize("code", sorted(REASON_CODES))
@pytest.mark.parametrize("value", [None, b"", b"{oops", "苏K12345 ".encode() * 5000])
def test_every_dead_letter_citygate_writes_is_schema_valid(code: str, value: bytes | None) -> None:
    message = deadletter_message(
        topic="anpr.hits",
        partition=3,
        offset=9,
        timestamp_ms=1764417600000,
        key=b"YZ-EC-0001",
        value=value,
        code=code,
        detail=f"{code} happened",
        now=NOW,
        keep_bytes=16 * 1024,
    )
    validator("deadletter").validate(message)


@settings(max_examples=60, deadline=None)
@given(
    category=st.sampled_from(sorted(CATEGORIES)),
    priority=st.integers(1, 3),
    covert=st.booleans(),
    instructions=st.one_of(st.none(), st.text(max_size=50)),
    incident_id=st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True)),
    lane=st.integers(1, 16),
    direction=st.sampled_from(["inbound", "outbound", "unknown"]),
    plate=st.sampled_from(["苏K12345", "苏K·D12345", "苏ＫＡ２３４５", "沪B2345C", "粤Z1234港", "苏K1234警"]),
)
def test_every_alert_citygate_writes_is_schema_valid(**case: Any) -> None:
    entry = entry_message(
        plate=case["plate"],
        category=case["category"],
        priority=case["priority"],
        covert=case["covert"],
        instructions=case["instructions"],
        incident_id=case["incident_id"],
    )
    index = WatchlistIndex()
    index.upsert(parse_entry("WL-1", entry))
    hit = parse_hit(
        hit_message(plate_text=case["plate"], lane=case["lane"], direction=case["direction"]), now=NOW
    )
    alerts = match_hit(hit, index, now=NOW, hit_ref=Ref("anpr.hits", hit.hit_id, 0, 1))
    assert len(alerts) == 1
    validator("alerts").validate(alerts[0].to_message())


def decode_command(message: Any) -> None:
    key = message.get("target_id") if isinstance(message, dict) else None
    parse_command(key if isinstance(key, str) else None, message)


@pytest.mark.parametrize("message", examples("operator.commands", "valid"))
def test_valid_commands_are_accepted_by_schema_and_code(message: Any) -> None:
    validator("operator.commands").validate(message)
    decode_command(message)


@pytest.mark.parametrize("message", examples("operator.commands", "invalid"))
def test_invalid_commands_are_refused_by_schema_and_code(message: Any) -> None:
    assert not validator("operator.commands").is_valid(message)
    with pytest.raises(InvalidInput):
        decode_command(message)


@pytest.mark.parametrize("message", examples("audit", "valid"))
def test_audit_examples_are_valid(message: Any) -> None:
    validator("audit").validate(message)


@pytest.mark.parametrize("message", examples("audit", "invalid"))
def test_audit_counter_examples_are_invalid(message: Any) -> None:
    assert not validator("audit").is_valid(message)


@pytest.mark.parametrize(
    "command", [c for c in examples("operator.commands", "valid") if c.values[0]["command"].endswith("_hit")]
)
def test_reviewed_alerts_and_their_audit_records_are_schema_valid(command: Any) -> None:
    alert = json.loads((SCHEMAS / "examples" / "alerts" / "valid" / "maximal.json").read_text())
    parsed = parse_command(alert["alert_id"], {**command, "target_id": alert["alert_id"]})
    reviewed = review_alert(alert, parsed, now=NOW)
    validator("alerts").validate(reviewed)
    record = audit_record(
        action=f"alert_{reviewed['state']}",
        subject=parsed.target_id,
        actor=parsed.operator_id,
        at=parsed.issued_at,
        reason=parsed.reason_code,
        source_topic="operator.commands",
        source_partition=0,
        source_offset=5,
        after=reviewed["review"],
        now=NOW,
    )  # type: ignore[arg-type]
    validator("audit").validate(record)


def test_retro_alerts_are_schema_valid() -> None:
    from streams.domain.matching.retro import RetroMatcher

    message = entry_message()  # valid from a day ago, listed now
    matcher = RetroMatcher(
        [parse_entry("WL-1", message, listed_at=NOW)], since=NOW - timedelta(hours=6), now=NOW
    )
    hit = parse_hit(hit_message(event_time=(NOW - timedelta(hours=1)).isoformat()), now=NOW)
    matcher.feed(hit, Ref("anpr.hits", hit.hit_id, 2, 40))
    [alert] = matcher.finish()
    validator("alerts").validate(alert.to_message())


@pytest.mark.parametrize(("topic", "parse"), [("calls.110", "call"), ("patrol.reports", "report")])
def test_calls_and_reports_agree_with_their_schemas(topic: str, parse: str) -> None:
    from streams.codecs import parse_call, parse_report

    parser, key_field = (parse_call, "call_id") if parse == "call" else (parse_report, "unit_id")
    for message in examples(topic, "valid"):
        value = message.values[0]
        validator(topic).validate(value)
        parser(value[key_field], value)
    for message in examples(topic, "invalid"):
        value = message.values[0]
        assert not validator(topic).is_valid(value), message.id
        key = value.get(key_field) if isinstance(value, dict) else None
        with pytest.raises(InvalidInput):
            parser(key if isinstance(key, str) else None, value)


@pytest.mark.parametrize("message", examples("calls.110", "valid-schema-bad-semantics"))
def test_semantically_bad_calls_pass_the_schema_but_not_the_code(message: Any) -> None:
    from streams.codecs import parse_call

    validator("calls.110").validate(message)
    with pytest.raises(InvalidInput):
        parse_call(message["call_id"], message)


@pytest.mark.parametrize("topic", ["lockdowns", "incidents"])
def test_lockdown_and_incident_examples(topic: str) -> None:
    for message in examples(topic, "valid"):
        validator(topic).validate(message.values[0])
    for message in examples(topic, "invalid"):
        assert not validator(topic).is_valid(message.values[0]), message.id


def test_everything_the_incident_desk_writes_is_schema_valid() -> None:
    from streams.domain.incidents.lifecycle import lift, on_arrival, on_call, on_capture, on_tick
    from tests.unit.domain.incidents.test_lifecycle import T0, call
    from tests.unit.domain.incidents.test_planner import CITY

    first = on_call(call(vehicle={"plate": "苏K8B693", "colour": "黑色", "type": "car"}), [], CITY, T0)
    outcomes = [first]
    [incident], [lockdown] = first.incidents, first.lockdowns
    for point in lockdown.required["core"]:
        outcomes.append(
            on_arrival(point, T0 - timedelta(minutes=1), [lockdown], CITY)
        )  # stamped early: still >= 0
        lockdown = outcomes[-1].lockdowns[-1]
    outcomes.append(on_tick(lockdown, CITY, T0 + timedelta(minutes=40), IncidentSettings()))
    outcomes.append(on_capture(incident, 5, T0 + timedelta(minutes=50), lockdown))
    outcomes.append(lift(lockdown, "operator", T0 + timedelta(minutes=60)))
    from streams.domain.incidents.correlation import on_report
    from tests.unit.domain.incidents.test_correlation import NIGHT, report, yangzhou

    opened = on_report(report("r1", "suspicious_activity", count=3), [], {}, yangzhou(), NIGHT)
    outcomes += [
        opened,
        on_report(
            report("r2", "suspect_captured", minutes=5, count=1), opened.incidents, {}, yangzhou(), NIGHT
        ),
    ]

    def wire(message: Any) -> Any:  # what a consumer receives: tuples become arrays
        return json.loads(json.dumps(message))

    for outcome in outcomes:
        for event in outcome.events:
            validator("lockdowns").validate(wire(event))
        for inc in outcome.incidents:
            validator("incidents").validate(wire({"schema_version": 1, **inc.to_record()}))
        for listing in outcome.listings:
            validator("watchlist.entries").validate(listing)
            parse_entry(listing["entry_id"], listing)


@pytest.mark.parametrize("message", examples("command.results", "valid"))
def test_command_result_examples_are_valid(message: Any) -> None:
    validator("command.results").validate(message)


@pytest.mark.parametrize("message", examples("command.results", "invalid"))
def test_command_result_counter_examples_are_invalid(message: Any) -> None:
    assert not validator("command.results").is_valid(message)


def test_command_result_reason_codes_are_the_dead_letters() -> None:
    schema = json.loads((SCHEMAS / "command.results.schema.json").read_text())
    [refusal, _] = schema["properties"]["reason"]["anyOf"]
    assert set(refusal["properties"]["code"]["enum"]) == REASON_CODES


@pytest.mark.parametrize("code", sorted(REASON_CODES))
@pytest.mark.parametrize("detail", ["x", "two\nlines\r\n  and tabs\t", "很长" * 800, "   "])
def test_every_answer_citygate_writes_is_schema_valid(code: str, detail: str) -> None:
    from streams.domain.results import command_result

    place = {"source_topic": "operator.commands", "source_partition": 0, "source_offset": 4, "now": NOW}
    refused = command_result(
        command_id="cmd-1", command=None, target_id=None, operator_id=None, refusal=(code, detail), **place
    )
    validator("command.results").validate(refused)
    applied = command_result(
        command_id="cmd-1",
        command="lift_lockdown",
        target_id="ld-1",
        operator_id="x" * 150,
        refusal=None,
        **place,
    )
    validator("command.results").validate(applied)


def test_every_refusal_audit_of_a_command_is_schema_valid() -> None:
    from streams.domain.audit import refusal_audit

    for action in ("refused", "command_refused"):
        for command_id in (None, "cmd-1"):
            record = refusal_audit(
                subject="al-1",
                claimed_by=None,
                code="invalid_value",
                detail="no alert al-1",
                source_topic="operator.commands",
                source_partition=0,
                source_offset=3,
                now=NOW,
                action=action,
                command_id=command_id,
            )
            validator("audit").validate(record)


GATEWAY_TOPICS = ["cameras.registry", "gateway.keys", "cameras.status"]


@pytest.mark.parametrize("topic", GATEWAY_TOPICS)
def test_the_gateway_topics_agree_with_their_schemas(topic: str) -> None:
    import msgspec

    from streams.codecs.gateway import GATEWAY_DECODERS

    for message in examples(topic, "valid"):
        validator(topic).validate(message.values[0])
        GATEWAY_DECODERS[topic].decode(json.dumps(message.values[0]).encode())
    for message in examples(topic, "invalid"):
        assert not validator(topic).is_valid(message.values[0]), message.id
        with pytest.raises(msgspec.ValidationError):
            GATEWAY_DECODERS[topic].decode(json.dumps(message.values[0]).encode())


def test_what_the_gateway_writes_is_schema_valid() -> None:
    from streams.domain.gateway import openalpr, platerecognizer
    from streams.domain.gateway.cameras import CameraRegistry
    from streams.domain.gateway.keys import GatewayKey, digest, make_key
    from tests.gateway import OPENALPR_CAMERA, PLATE_RECOGNIZER_CAMERA
    from tests.vendor_payloads import alpr_group, alpr_results, heartbeat
    from tests.vendor_payloads import platerecognizer as webhook

    cameras = CameraRegistry()
    for camera in (OPENALPR_CAMERA, PLATE_RECOGNIZER_CAMERA):
        cameras.apply(camera.key, camera)
        validator("cameras.registry").validate(camera.value())
    key = make_key("00aa11bb22cc", bytes(32))
    validator("gateway.keys").validate(
        GatewayKey("00aa11bb22cc", "east", digest(key), "2026-12-02T09:00:00Z").value()
    )
    preference = openalpr.GroupPreference()
    hits = []
    for record in (
        alpr_results(OPENALPR_CAMERA, "苏A12345", uuid_tail="1"),
        alpr_group(OPENALPR_CAMERA, "苏A12345", uuid_tail="2"),
    ):
        hits += openalpr.map_record(record, cameras, preference, gateway_id="east", now_s=0).hits
    stamp = "2026-12-02T09:14:03.123456Z"
    hits += platerecognizer.map_webhook(
        webhook(PLATE_RECOGNIZER_CAMERA, "苏K66666", stamp=stamp), cameras, gateway_id="east"
    ).hits
    assert len(hits) == 3
    for hit in hits:
        validator("anpr.hits").validate(hit)
        decode_hit(hit)
    beat = openalpr.map_record(
        heartbeat(OPENALPR_CAMERA, streaming=True), cameras, preference, gateway_id="east", now_s=0
    )
    for status in beat.statuses:
        validator("cameras.status").validate(status.value())


@pytest.mark.parametrize("topic", ["units.registry"])
def test_the_forces_topics_agree_with_their_schemas(topic: str) -> None:
    import msgspec

    from streams.codecs.forces import FORCES_DECODERS
    from streams.domain.forces.units import unit_from

    for message in examples(topic, "valid"):
        validator(topic).validate(message.values[0])
        decoded = FORCES_DECODERS[topic].decode(json.dumps(message.values[0]).encode())
        # What the domain makes of it writes the same record back.
        assert unit_from(decoded, decoded.unit_id).value() == message.values[0]
    for message in examples(topic, "invalid"):
        assert not validator(topic).is_valid(message.values[0]), message.id
        with pytest.raises(msgspec.ValidationError):
            FORCES_DECODERS[topic].decode(json.dumps(message.values[0]).encode())


def test_units_state_agrees_with_its_schema_and_what_the_command_side_writes() -> None:
    import msgspec

    from streams.codecs.forces import FORCES_DECODERS
    from streams.domain.forces.board import state_from_message, state_message

    topic = "units.state"
    for message in examples(topic, "valid"):
        validator(topic).validate(message.values[0])
        decoded = FORCES_DECODERS[topic].decode(json.dumps(message.values[0]).encode())
        state = state_from_message(decoded)
        written = state_message(state, NOW)
        validator(topic).validate(written)
        # Everything but the time it was written (and staleness as of then) comes back as it was.
        skip = {"updated_at", "position_stale"}
        expected = {k: v for k, v in message.values[0].items() if k not in skip}
        assert {k: v for k, v in written.items() if k not in skip} == json.loads(json.dumps(expected))
    for message in examples(topic, "invalid"):
        assert not validator(topic).is_valid(message.values[0]), message.id
        with pytest.raises(msgspec.ValidationError):
            FORCES_DECODERS[topic].decode(json.dumps(message.values[0]).encode())
