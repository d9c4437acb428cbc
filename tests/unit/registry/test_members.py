"""Member validation, consent and erasure: pure rules."""

from datetime import UTC, datetime
from typing import cast

import pytest

from services.registry.domain.members import (
    ERASED_FIELDS,
    check_reachable,
    consent_changes,
    draft_member,
    erased_values,
    normalise_email,
    normalise_house_number,
    normalise_name,
    normalise_phone,
    normalise_roles,
)
from shared.errors import Invalid

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Ans@Example.NL ", "ans@example.nl"),
        ("a.b+c@sub.example.org", "a.b+c@sub.example.org"),
        ("", None),
        (None, None),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw: str | None, expected: str | None) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["ans", "ans@", "ans@example", "a b@example.nl", "@example.nl"])
def test_bad_email_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an e-mail address"):
        normalise_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 1234 5678", "+31612345678"),
        ("06-12345678", "+31612345678"),
        ("030 123 45 67", "+31301234567"),
        ("+31 6 1234 5678", "+31612345678"),
        ("+31 (0)6 1234 5678", "+31612345678"),
        ("0031 30 1234567", "+31301234567"),
        ("+49 30 1234567", "+49301234567"),
        (None, None),
    ],
)
def test_phone_numbers_are_stored_in_international_form(
    raw: str | None, expected: str | None
) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "06 1234", "+31 6 1234 56789", "phone me", "0612345678x"])
def test_bad_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", "12"), ("12a", "12A"), ("12 A", "12A"), ("12-2", "12-2"), ("12 bis", "12BIS")],
)
def test_house_numbers(raw: str, expected: str) -> None:
    assert normalise_house_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "0", "twelve", "123456", "12 a b"])
def test_bad_house_numbers(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_house_number(raw)


def test_names() -> None:
    assert normalise_name("  Ans   de  Vries ") == "Ans de Vries"
    for bad in ("", "   ", "1234", "a\x00b", "x" * 201):
        with pytest.raises(ValueError):
            normalise_name(bad)


def test_roles_are_known_unique_and_in_a_fixed_order() -> None:
    assert normalise_roles(["volunteer", "resident", "volunteer"]) == ["resident", "volunteer"]
    with pytest.raises(ValueError, match="unknown role"):
        normalise_roles(["king"])
    with pytest.raises(ValueError, match="at least one"):
        normalise_roles([])


def test_a_member_is_reachable_by_email_phone_or_through_a_coordinator() -> None:
    check_reachable("a@b.nl", None, None)
    check_reachable(None, "+31612345678", None)
    check_reachable(None, None, "coordinator-id")
    with pytest.raises(ValueError):
        check_reachable(None, None, None)


def test_a_draft_reports_every_bad_field_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        draft_member(
            name="",
            first_name=None,
            email="nope",
            phone="12",
            postcode="3561",
            house_number="x",
            language="de",
            roles=["boss"],
            consents={"spam": True},
            registered_by=None,
        )
    fields = [e["field"] for e in cast(list[dict[str, str]], caught.value.details["errors"])]
    assert fields == ["name", "email", "phone", "house_number", "language", "roles", "consents"]


def test_a_draft_takes_the_first_name_from_the_name() -> None:
    draft = draft_member(
        name="Ans de Vries",
        first_name=None,
        email="ANS@example.nl",
        phone=None,
        postcode="3561 AB",
        house_number="12a",
        language="nl",
        roles=["resident"],
        consents={"matching": True},
        registered_by=None,
    )
    assert draft is not None
    assert (draft.first_name, draft.email, draft.house_number) == ("Ans", "ans@example.nl", "12A")


def test_only_consent_changes_are_recorded_each_with_its_time() -> None:
    first = consent_changes({}, {"matching": True, "share_phone": False}, at=NOW)
    assert [(c.purpose, c.granted) for c in first] == [("matching", True), ("share_phone", False)]
    assert all(c.at == NOW for c in first)
    again = consent_changes({"matching": True, "share_phone": False}, {"matching": True}, at=NOW)
    assert again == []
    withdrawn = consent_changes({"matching": True}, {"matching": False}, at=NOW, by="coord")
    assert [(c.purpose, c.granted, c.by) for c in withdrawn] == [("matching", False, "coord")]
    with pytest.raises(ValueError, match="unknown consent purpose"):
        consent_changes({}, {"newsletter": True}, at=NOW)


def test_erasure_wipes_every_personal_field_and_keeps_the_time() -> None:
    values = erased_values(NOW)
    for field in ERASED_FIELDS:
        assert values[field] is None
    assert values["erased_at"] == NOW
    assert "neighbourhood" not in values  # the area stays for the figures
