"""What a page says about a problem is chosen by its code, reason and field, never by its
English detail, and each problem is said once."""

import pytest
from pydantic import BaseModel, ValidationError

from services.gateway.errors import NotSignedIn, TooManyAttempts
from services.gateway.problem_texts import (
    BY_CODE,
    BY_FIELD,
    BY_REASON,
    FORM,
    field_errors,
    problem_text,
)
from shared.errors import Conflict, Invalid, NotFound


class Form(BaseModel):
    email: str
    password: str


def test_the_registrys_refusal_of_a_postcode_is_said_once_for_its_field() -> None:
    refused = Invalid(
        "postcode: postcode 9999 ZZ is not in a known municipality",
        details={
            "errors": [
                {
                    "field": "postcode",
                    "message": "postcode 9999 ZZ is not in a known municipality",
                    "reason": "unknown_municipality",
                }
            ]
        },
    )
    assert field_errors(refused) == {"postcode": BY_REASON["unknown_municipality"]}


def test_a_field_error_without_a_reason_is_said_for_its_field() -> None:
    refused = Invalid("email: not valid", details={"errors": [{"field": "email", "message": "x"}]})
    assert field_errors(refused) == {"email": BY_FIELD["email"]}


def test_a_refusal_of_the_whole_form_is_said_by_its_reason_then_its_code() -> None:
    assert field_errors(Conflict("answered already", details={"reason": "answered"})) == {
        FORM: BY_REASON["answered"]
    }
    assert field_errors(NotFound("No such request.")) == {FORM: BY_CODE["not_found"]}
    assert field_errors(TooManyAttempts("Wait a while", retry_after=60)) == {
        FORM: BY_CODE["rate_limited"]
    }
    assert field_errors(NotSignedIn("who are you")) == {FORM: BY_CODE["unauthorized"]}


def test_pydantics_english_is_never_shown_only_the_fields_text() -> None:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate({"email": 3})
    assert field_errors(caught.value) == {
        "email": BY_FIELD["email"],
        "password": BY_FIELD["password"],
    }


def test_an_unknown_code_or_status_still_gets_a_text() -> None:
    assert problem_text("something_new", None, 409) == BY_CODE["conflict"]
    assert problem_text(None, None, 418) == BY_CODE["error"]
    assert problem_text("invalid", "no_such_reason", 422) == BY_CODE["invalid"]
