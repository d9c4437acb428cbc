"""What every page shares: sign-in, checked forms, errors by field, redirects."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway.deps import MaybeMember, Principal, browser_csrf_secret
from services.gateway.i18n import translate
from services.gateway.schemas import (
    has_control_characters,
)
from services.gateway.security import CSRF_FIELD, csrf_valid
from services.gateway.web import language_of
from shared.errors import Forbidden, Invalid, SamenError
from shared.rpc import MAX_FIELD_ERRORS

DAY_PARTS = {
    "morning": ("08:00", "12:00"),
    "afternoon": ("12:00", "17:00"),
    "evening": ("17:00", "21:00"),
}


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
        raise Forbidden(
            translate("The form has expired. Please try again.", language_of(request, principal)),
            details={"reason": "csrf"},
        )
    if any(isinstance(v, str) and has_control_characters(v) for v in form.values()):
        raise Invalid("The form contains control characters.")
    return form


def field_errors(exc: Exception) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_input=False)[:MAX_FIELD_ERRORS]
        return {".".join(str(p) for p in err["loc"]) or "form": err["msg"] for err in first}
    if isinstance(exc, SamenError):
        errors = exc.details.get("errors") if exc.details else None
        result = {"form": exc.message}
        if isinstance(errors, list):
            for err in errors:
                if isinstance(err, dict):
                    result[str(err.get("field", "form"))] = str(err.get("message", ""))
        field = exc.details.get("field") if exc.details else None
        if isinstance(field, str):
            result[field] = exc.message
        return result
    return {"form": str(exc)}


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
