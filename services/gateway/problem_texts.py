"""What a page says about a problem, in the reader's words.

A problem (shared.errors, services/gateway/problems.py) carries a machine-readable `code`, often
a `reason` in its details and per field errors; its English `detail` is written for whoever
reads the API and is never shown on a page. The texts here are English msgids: the page
translates them (services/gateway/i18n.py), so every problem reads in the page's language.
"""

from typing import Any

from pydantic import ValidationError

from shared.errors import SamenError
from shared.rpc import MAX_FIELD_ERRORS
from shared.texts import N_

FORM = "form"  # the key of a problem with the form as a whole

# By reason first (details["reason"], the most precise), then by code, then by HTTP status.
BY_REASON: dict[str, str] = {
    # postcodes (registry: services/registry/domain/areas.py)
    "unknown_municipality": N_("We do not know this postcode. Samen does not work there yet."),
    "po_box": N_("This is a PO box. Fill in the postcode of your home."),
    "malformed": N_("This postcode does not exist. Check it, for example 3511 AB."),
    # forms
    "csrf": N_("The form has expired. Please try again."),
    # accept/decline links (notify: services/notify/domain/links.py)
    "answered": N_("This proposal has been answered already."),
    "withdrawn": N_("Someone else already helps with this request."),
    "expired": N_("This link has expired."),
    "bad_signature": N_("This link is not valid."),
    "proposal_closed": N_("This proposal is no longer open."),
    "already_matched": N_("Someone else already helps with this request."),
    # a coordinator's list of members (services/gateway/usecases/coordinators.py)
    "no_file": N_("Choose the file to import."),
    "bad_date": N_("Fill in a date, for example 15-03-2026."),
    "empty_file": N_("The file is empty."),
    "not_csv": N_("This is not a CSV file."),
    "file_too_large": N_("The file is too large. Split it into smaller files."),
    # the social map (registry: services/registry/service_layer/directory.py)
    "no_member_with_email": N_(
        "Nobody with this e-mail address uses Samen yet. Ask them to sign up first."
    ),
    "retired": N_("This is no longer on the social map."),
    # the funder's quarter (services/gateway/reporting.py, report_files.py)
    "bad_quarter": N_("Choose a quarter, for example 2026-Q4."),
    "unknown_district": N_("Choose a district of Utrecht."),
    "bad_format": N_("Choose CSV, Excel or PDF."),
    # matching: the same form sent twice, the second time with other answers
    "idempotency_key_reused": N_("This form was sent already. Please fill it in again."),
}
BY_CODE: dict[str, str] = {
    "unauthorized": N_("Log in first."),
    "forbidden": N_("You may not do this."),
    "not_found": N_("We could not find this."),
    "method_not_allowed": N_("This cannot be done here."),
    "too_large": N_("What you sent is too large."),
    "conflict": N_("This cannot be done now. Something changed in the meantime."),
    "invalid": N_("Something is not filled in well. Check it and try again."),
    "rate_limited": N_("You tried too often. Wait a few minutes and try again."),
    "unavailable": N_("This part of Samen does not work for a moment. Try again in a minute."),
    "error": N_("Something went wrong on our side. Try again later."),
    "link_invalid": N_("This link is not valid. Ask for a new one."),
    "link_used": N_("This link has been used already. Ask for a new one if you need it."),
    "link_expired": N_("This link has expired. Ask for a new one."),
}
BY_STATUS: dict[int, str] = {
    400: BY_CODE["invalid"],
    401: BY_CODE["unauthorized"],
    403: BY_CODE["forbidden"],
    404: BY_CODE["not_found"],
    405: BY_CODE["method_not_allowed"],
    409: BY_CODE["conflict"],
    413: BY_CODE["too_large"],
    422: BY_CODE["invalid"],
    429: BY_CODE["rate_limited"],
    503: BY_CODE["unavailable"],
}

# What to say about a field that is not right, whatever the check that refused it.
BY_FIELD: dict[str, str] = {
    "name": N_("Fill in your name."),
    "email": N_("Fill in your e-mail address, for example name@example.nl."),
    "password": N_("Choose a password of at least 8 characters."),
    "postcode": N_("Fill in your postcode, for example 3511 AB."),
    "house_number": N_("Fill in your house number, for example 12 or 12a."),
    "phone": N_("Fill in a phone number, for example 06 12345678."),
    "category": N_("Choose what you need help with."),
    "categories": N_("Choose what you can help with."),
    "description": N_("Tell us in a few words what you need."),
    "day": N_("Choose a day that is not in the past."),
    "needed_from": N_("Choose a day that is not in the past."),
    "radius_km": N_("Fill in a number of kilometres."),
    "max_open": N_("Fill in a number."),
    "quiet_start": N_("Fill in a time, for example 22:00."),
    "quiet_end": N_("Fill in a time, for example 08:00."),
    "slot_rows": N_("Choose a day and both times, with the end after the start."),
    "languages": N_("Choose at least one language."),
    "note": N_("Write in a few words what happened."),
    "hours": N_("Fill in a number of hours, for example 1,5."),
    "file": N_("Choose a CSV file."),
    "opening_hours": N_("Choose a day and both times, with the closing time after the opening."),
    "area_codes": N_("Choose at least one district or neighbourhood."),
    "area_code": N_("Choose a district or neighbourhood, or fill in a postcode."),
    "manager_emails": N_("Fill in e-mail addresses, one per line."),
    "website": N_("Fill in a web address, for example https://example.nl."),
    "url": N_("Fill in a web address, for example https://example.nl."),
    # a cooperative's matching policy and channels (services/gateway/usecases/cooperatives.py)
    "proposals_per_round": N_("Fill in a number from 1 to 20."),
    "offer_hours": N_("Fill in a number of hours, for example 4."),
    "urgent_offer_minutes": N_("Fill in a number of minutes, for example 30."),
    "max_rounds": N_("Fill in a number from 1 to 10."),
    "rings": N_("Choose how far out volunteers are asked."),
    "radius_cap_km": N_("Fill in a number of kilometres up to 100, or leave it empty."),
    "max_open_per_volunteer": N_("Fill in a number from 1 to 20."),
    "fairness_days": N_("Fill in a number of days from 1 to 365."),
    "digest_time": N_("Fill in a time, for example 08:00."),
    "apprise_add": N_("This address does not work. Check it and try again."),
}
# A text that is not right for the page it is on: said once, for the whole form.
LOGIN_REFUSED = N_("The e-mail address or password is not right.")
TOO_MANY_FAILURES = N_("Too many failed attempts. Wait {seconds} seconds and try again.")


def problem_text(code: str | None, reason: str | None = None, status: int = 400) -> str:
    """The msgid a page shows for a problem with this code and reason."""
    if reason and reason in BY_REASON:
        return BY_REASON[reason]
    if code and code in BY_CODE:
        return BY_CODE[code]
    return BY_STATUS.get(status, BY_CODE["error"])


def field_text(field: str, reason: str | None = None, code: str | None = None) -> str:
    if reason and reason in BY_REASON:
        return BY_REASON[reason]
    if field in BY_FIELD:
        return BY_FIELD[field]
    return problem_text(code or "invalid", None, 422)


def _reason(details: dict[str, Any] | None) -> str | None:
    reason = (details or {}).get("reason")
    return reason if isinstance(reason, str) else None


def field_errors(exc: Exception) -> dict[str, str]:
    """Field -> msgid for each field a refused form got wrong, or `form` -> msgid for the form
    as a whole; each problem once (never also as a repeat for the whole form)."""
    result: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors(include_input=False)[:MAX_FIELD_ERRORS]:
            field = ".".join(str(p) for p in err["loc"]) or FORM
            result.setdefault(field, field_text(field.split(".")[0]))
        return result
    if isinstance(exc, SamenError):
        details = exc.details or {}
        reason = _reason(details)
        raw = details.get("errors")
        if isinstance(raw, list):
            for err in raw[:MAX_FIELD_ERRORS]:
                if isinstance(err, dict):
                    field = str(err.get("field") or FORM)
                    own = err.get("reason")
                    result.setdefault(
                        field,
                        field_text(field, own if isinstance(own, str) else reason, exc.code),
                    )
        named = details.get("field")
        if isinstance(named, str):
            result.setdefault(named, field_text(named, reason, exc.code))
        if not result:
            result[FORM] = problem_text(exc.code, reason, exc.http_status)
        return result
    return {FORM: BY_CODE["error"]}
