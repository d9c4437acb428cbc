"""What every page shares: sign-in, checked forms, errors by field, redirects."""

import re
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from services.gateway.deps import MaybeMember, browser_csrf_secret
from services.gateway.principal import Principal
from services.gateway.problem_texts import BY_REASON
from services.gateway.problem_texts import field_errors as field_errors  # for the pages
from services.gateway.schemas import (
    has_control_characters,
)
from services.gateway.security import CSRF_FIELD, csrf_valid
from shared.errors import Forbidden, Invalid, SamenError

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DAY_PARTS = {
    "morning": ("08:00", "12:00"),
    "afternoon": ("12:00", "17:00"),
    "evening": ("17:00", "21:00"),
}


# Refusals that are not the form's fault: too many tries, a service away. Their own error
# page says so; the form shown again with field errors would not.
NOT_THE_FORMS_FAULT = (429, 503)


def form_errors(exc: Exception) -> dict[str, str]:
    """The errors by field of a form the user can put right, for the form shown again; a
    refusal that is not the form's fault is raised again instead."""
    if isinstance(exc, SamenError) and exc.http_status in NOT_THE_FORMS_FAULT:
        raise exc
    return field_errors(exc)


def refusal_status(exc: Exception) -> int:
    """The status of a form shown again: the refusal's own, or 422 for invalid input."""
    return exc.http_status if isinstance(exc, SamenError) else 422


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class SignInFirst(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


async def signed_in(request: Request, principal: MaybeMember) -> Principal:
    if principal is None:
        raise SignInFirst(request.url.path)
    return principal


Member = Annotated[Principal, Depends(signed_in)]


async def checked_form(request: Request, principal: Principal | None) -> FormData:
    """The posted form, once its CSRF token proved it came from our own page."""
    form = await request.form()
    secret = browser_csrf_secret(request, principal)
    submitted = form.get(CSRF_FIELD)
    gateway = request.app.state.gateway
    if not csrf_valid(
        gateway.secret_keys.verifying(), secret, submitted if isinstance(submitted, str) else None
    ):
        raise Forbidden(BY_REASON["csrf"], details={"reason": "csrf"})
    if any(isinstance(v, str) and has_control_characters(v) for v in form.values()):
        raise Invalid("The form contains control characters.")
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def typed_rows(form: FormData, prefix: str) -> list[tuple[str, str, str]]:
    """The day + from + to rows as typed, blank ones left out: to show a refused form again."""
    days, starts, ends = (
        [str(v).strip() for v in form.getlist(f"{prefix}_{part}")] for part in ("day", "from", "to")
    )
    return [r for r in zip(days, starts, ends, strict=False) if any(r)]


def day_time_rows(
    form: FormData, prefix: str, field: str
) -> tuple[list[tuple[int, str, str]], list[tuple[str, str, str]]]:
    """The form's rows of a day with a from and a to time (`<prefix>_day`, `_from`, `_to`):
    the filled ones as (weekday, "HH:MM", "HH:MM"), and every row as typed to show again. A
    row with no day and no times is blank; a half-filled or backwards one is refused under
    `field`, so nothing typed is silently lost."""
    days, starts, ends = (
        [str(v).strip() for v in form.getlist(f"{prefix}_{part}")] for part in ("day", "from", "to")
    )
    if not len(days) == len(starts) == len(ends):
        raise Invalid("the time rows are incomplete", details={"field": field})
    rows = list(zip(days, starts, ends, strict=True))
    times: list[tuple[int, str, str]] = []
    for day, start, end in rows:
        if not (day or start or end):
            continue
        if day not in {str(d) for d in range(7)} or not (_CLOCK.match(start) and _CLOCK.match(end)):
            raise Invalid("bad time row", details={"field": field})
        if end <= start:
            raise Invalid("a time row ends before it starts", details={"field": field})
        times.append((int(day), start, end))
    return times, [r for r in rows if any(r)]
