"""The contract package: subjects, areas, the envelope, typed errors, log scrubbing."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.areas import AreaRef
from shared.categories import LABELS, Category, label
from shared.errors import ERRORS_BY_CODE, Conflict, NotFound, error_from_code
from shared.events import EVENT_TYPES, Envelope, RequestCreated, envelope
from shared.logging import REDACTED, drop_personal_data
from shared.outbox import retry_delay
from shared.subjects import (
    dlq_subject,
    event_filter,
    event_subject,
    ext_subject,
    parse_event_subject,
    rpc_subject,
)

OVERVECHT_BUURT = "BU03440305"


def test_a_neighbourhood_code_gives_its_district_and_municipality() -> None:
    area = AreaRef.from_code(OVERVECHT_BUURT)
    assert area == AreaRef(
        municipality="GM0344", district="WK034403", neighbourhood=OVERVECHT_BUURT
    )
    assert area.most_specific() == OVERVECHT_BUURT
    assert AreaRef.from_code("WK034403").contains(OVERVECHT_BUURT)
    assert not AreaRef.from_code("WK034405").contains(OVERVECHT_BUURT)


def test_a_bad_area_code_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not a CBS area code"):
        AreaRef.from_code("Overvecht")
    with pytest.raises(ValueError, match="district"):
        AreaRef(district="WK34")


def test_event_subjects_carry_the_area_with_underscores_for_missing_levels() -> None:
    area = AreaRef.from_code(OVERVECHT_BUURT)
    subject = event_subject("request.created", area)
    assert subject == "samen.evt.request.created.GM0344.WK034403.BU03440305"
    assert event_subject("member.erased", AreaRef()) == "samen.evt.member.erased._._._"
    assert event_subject("cooperative.created", AreaRef.from_code("GM0344")) == (
        "samen.evt.cooperative.created.GM0344._._"
    )


@given(
    st.sampled_from(sorted(EVENT_TYPES)),
    st.sampled_from([None, "GM0344", "WK034403", OVERVECHT_BUURT]),
)
def test_event_subjects_parse_back_to_what_built_them(event_type: str, code: str | None) -> None:
    area = AreaRef.from_code(code)
    parsed = parse_event_subject(event_subject(event_type, area))
    assert parsed.event_type == event_type
    assert parsed.area == area


def test_an_area_filter_matches_with_wildcards() -> None:
    assert event_filter("*.*", AreaRef.from_code("WK034403")) == "samen.evt.*.*.GM0344.WK034403.*"
    assert event_filter("request.*") == "samen.evt.request.*.>"


def test_other_subjects() -> None:
    assert rpc_subject("registry", "member.get") == "samen.rpc.registry.member.get"
    assert dlq_subject("notify") == "samen.dlq.notify"
    assert ext_subject("overvecht", "noticeboard") == "samen.ext.overvecht.noticeboard"
    with pytest.raises(ValueError):
        event_subject("created", AreaRef())
    with pytest.raises(ValueError):
        parse_event_subject("samen.rpc.registry.health")


@given(
    st.builds(
        RequestCreated,
        request_id=st.uuids().map(str),
        requester_id=st.uuids().map(str),
        category=st.sampled_from(list(Category)),
        urgent=st.booleans(),
        needed_from=st.none()
        | st.datetimes(timezones=st.just(UTC), min_value=datetime(2020, 1, 1)),
        languages=st.lists(st.sampled_from(["nl", "en", "tr", "ar"]), min_size=1, max_size=3),
    )
)
def test_the_envelope_survives_a_round_trip_through_json(data: RequestCreated) -> None:
    sent = envelope(data, source="matching", area=AreaRef.from_code(OVERVECHT_BUURT))
    received = Envelope.model_validate_json(sent.model_dump_json())
    assert received == sent
    assert received.payload(RequestCreated) == data
    assert received.parsed() == data
    assert set(json.loads(sent.model_dump_json())) == {
        "event_id",
        "type",
        "version",
        "occurred_at",
        "source",
        "area",
        "correlation_id",
        "causation_id",
        "data",
    }


def test_event_ids_sort_by_time() -> None:
    ids = [
        envelope(
            RequestCreated(request_id="r", requester_id="m", category=Category.garden), source="t"
        ).event_id
        for _ in range(50)
    ]
    assert ids == sorted(ids)


def test_every_category_has_dutch_and_english_labels() -> None:
    assert set(LABELS) == set(Category)
    assert label("groceries") == "Boodschappen"
    assert label(Category.language, "en") == "Language buddy"


def test_typed_errors_round_trip_by_code() -> None:
    assert isinstance(error_from_code("not_found", "gone"), NotFound)
    assert isinstance(error_from_code("conflict", "taken"), Conflict)
    assert set(ERRORS_BY_CODE) == {"not_found", "invalid", "forbidden", "conflict", "unavailable"}
    assert NotFound("x").http_status == 404


def test_logs_never_carry_personal_data() -> None:
    line = drop_personal_data(
        None,
        "info",
        {
            "event": "registered Ans, mail ans@example.nl, phone 06-12345678",
            "email": "ans@example.nl",
            "member_id": "m-1",
            "payload": {"name": "Ans", "postcode": "3561AB", "category": "groceries"},
        },
    )
    assert line["email"] == REDACTED
    assert "ans@example.nl" not in line["event"]
    assert "06-12345678" not in line["event"]
    assert line["payload"] == {"name": REDACTED, "postcode": REDACTED, "category": "groceries"}
    assert line["member_id"] == "m-1"


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert retry_delay(50) == 60.0


def test_one_pattern_takes_every_cbs_area_code_amsterdams_lettered_ones_too() -> None:
    import re

    from shared.areas import AREA_CODE_PATTERN

    for code in ("GM0344", "WK034403", "BU03440321", "WK0363AF", "BU0363AF01"):
        assert re.fullmatch(AREA_CODE_PATTERN, code), code
        assert AreaRef.from_code(code).most_specific() == code
    for code in ("GM344", "WK03440", "BU0344032", "wk034403", "WK0363af", "XX0344"):
        assert not re.fullmatch(AREA_CODE_PATTERN, code), code
