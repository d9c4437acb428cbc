"""Reading one row of a member import file: pure rules."""

from datetime import date

import pytest

from services.registry.domain.areas import (
    Postcode,
    PostcodeEntry,
    Resolution,
    normalise_postcode,
    resolve_postcode,
)
from services.registry.domain.imports import (
    ImportRow,
    import_key,
    parse_availability,
    parse_member_row,
    parse_yes_no,
)
from shared.errors import Invalid
from shared.events import AvailabilitySlot

POSTCODES = {
    "3561": PostcodeEntry("3561", "GM0344", candidates=(("BU03440311", 1), ("BU03440312", 2)))
}


def place(raw: str) -> Resolution:
    postcode: Postcode = normalise_postcode(raw)
    return resolve_postcode(postcode, POSTCODES.get(postcode.pc4))


def parse(**row: str) -> ImportRow:
    values = {"name": "Ans de Vries", "email": "ans@example.nl", "postcode": "3561ab"}
    values.update({"house_number": "12"})
    values.update(row)
    return parse_member_row(values, line=7, place=place, registered_by=None, today=date(2026, 1, 5))


def test_a_good_row_becomes_a_member_with_its_area_and_key() -> None:
    row = parse(consent_matching="ja")
    assert row.member.postcode == "3561 AB"
    assert row.place.neighbourhood_code == "BU03440312"
    assert row.member.consents == {"matching": True}
    assert row.profile is None
    assert row.line == 7


def test_a_volunteer_row_brings_a_profile() -> None:
    row = parse(
        roles="resident;volunteer",
        categories="groceries; transport",
        availability="di 09:00-12:00; thu 9:00-11:00",
        radius_km="2.5",
    )
    profile = row.profile
    assert profile is not None
    assert profile.categories == ["groceries", "transport"]
    assert profile.radius_km == 2.5
    assert profile.availability == [
        AvailabilitySlot(weekday=1, start="09:00", end="12:00"),
        AvailabilitySlot(weekday=3, start="09:00", end="11:00"),
    ]


def test_a_bad_row_names_every_problem() -> None:
    with pytest.raises(Invalid) as caught:
        parse(name="", email="nope", postcode="1234", consent_matching="maybe", roles="admin")
    message = caught.value.message
    for field in ("name", "email", "postcode", "consent_matching", "roles"):
        assert f"{field}:" in message
    assert "not in a known municipality" in message


def test_volunteer_mistakes_are_reported() -> None:
    with pytest.raises(Invalid, match="availability"):
        parse(roles="volunteer", categories="groceries", availability="someday")
    with pytest.raises(Invalid, match="radius_km and max_open are numbers"):
        parse(roles="volunteer", categories="groceries", flexible="yes", radius_km="far")
    with pytest.raises(Invalid, match="certificate of conduct"):
        parse(roles="volunteer", categories="light_care", flexible="yes")


def test_the_same_person_has_the_same_key() -> None:
    by_mail = [parse(email=e).key for e in ("ans@example.nl", "ANS@example.nl ")]
    assert by_mail[0] == by_mail[1]
    without = parse(email="", phone="0612345678")
    again = parse(email="", phone="0687654321", postcode="3561 AB")
    assert without.key == again.key
    assert import_key(without.member) != by_mail[0]


def test_yes_no_and_availability_spellings() -> None:
    assert parse_yes_no("Ja", "x") is True
    assert parse_yes_no("nee", "x") is False
    assert parse_yes_no("", "x") is None
    assert parse_availability("ma 8:30-10:00;vrijdag 13:00-14:00") == [
        AvailabilitySlot(weekday=0, start="08:30", end="10:00"),
        AvailabilitySlot(weekday=4, start="13:00", end="14:00"),
    ]
