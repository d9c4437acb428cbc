"""Every error as RFC 9457 `application/problem+json` (or a readable page for the web UI).

`shared.errors` classes map by their `http_status`; request validation is a 422 problem with
one entry per field (at most `MAX_FIELD_ERRORS`, never echoing the input); a database that
cannot be reached (a dropped connection, a server restarting) is a 503 problem with
`Retry-After`, like a service that does not answer; an unexpected error is a 500 problem
without internals. Bad input never reaches the 500 path: everything a client sends is
validated first.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway.errors import NotSignedIn, TooManyAttempts
from shared.db import database_unavailable
from shared.errors import SamenError
from shared.logging import get_logger
from shared.rpc import MAX_ERROR_TEXT, MAX_FIELD_ERRORS
from shared.texts import N_

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: N_("Bad request"),
    401: N_("Not signed in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    410: N_("Gone"),
    413: N_("Request too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid input"),
    429: N_("Too many attempts"),
    431: N_("Request header fields too large"),
    500: N_("Internal error"),
    503: N_("Temporarily unavailable"),
}


class FieldError(BaseModel):
    """What is wrong with one field of the request."""

    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str | None = Field(default=None, description="machine-readable error code")
    errors: list[FieldError] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": TITLES[status]}
    for status in (401, 403, 404, 409, 413, 422, 429, 431, 503)
}
GONE_RESPONSE: dict[int | str, dict[str, Any]] = {
    410: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": TITLES[410]}
}


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    code: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    reason: str | None = None,
) -> Response:
    """`reason` (a SamenError's details["reason"]) picks the page's text; the JSON has the
    code, and the detail for developers."""
    problem = Problem(
        type=f"https://samen.coop/problems/{code}" if code else "about:blank",
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=request.url.path,
        code=code,
        errors=errors,
    )
    if wants_html(request):
        from services.gateway.web import render_error  # the web layer draws the page

        return render_error(request, problem, reason=reason, headers=headers)
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path in {"/healthz", "/readyz"}:
        return False
    return "text/html" in request.headers.get("accept", "")


def _field_errors(errors: list[Any]) -> list[FieldError]:
    """One entry per bad field, the first MAX_FIELD_ERRORS only: a body with a million bad
    keys gets a short answer. Only where and what, never the input (pydantic's `input`)."""
    result = []
    for err in errors[:MAX_FIELD_ERRORS]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        result.append(
            FieldError(
                field=(".".join(loc) or "body")[:MAX_ERROR_TEXT],
                message=str(err.get("msg"))[:MAX_ERROR_TEXT],
            )
        )
    return result


UNAVAILABLE_RETRY_AFTER_SECONDS = 5


def install(app: FastAPI) -> None:
    async def samen_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SamenError)
        headers = None
        if isinstance(exc, TooManyAttempts):
            headers = {"Retry-After": str(exc.retry_after)}
        elif exc.http_status == 503:  # a service busy or away: usually back within seconds
            headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}
        if isinstance(exc, NotSignedIn):
            headers = {"WWW-Authenticate": 'Bearer realm="samen"'}
        errors = None
        raw = exc.details.get("errors") if exc.details else None
        if isinstance(raw, list):
            errors = [
                FieldError(
                    field=str(e.get("field", ""))[:MAX_ERROR_TEXT],
                    message=str(e.get("message", ""))[:MAX_ERROR_TEXT],
                )
                for e in raw[:MAX_FIELD_ERRORS]
                if isinstance(e, dict)
            ]
        status = exc.http_status if exc.http_status in TITLES else 500
        if status >= 500 and status != 503:
            log.error("internal error from a service", code=exc.code)
            return problem_response(request, 500, "Something went wrong on our side.", code="error")
        reason = exc.details.get("reason") if exc.details else None
        return problem_response(
            request,
            status,
            exc.message,
            code=exc.code,
            errors=errors,
            headers=headers,
            reason=reason if isinstance(reason, str) else None,
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            request,
            422,
            "Some fields are missing or not valid.",
            code="invalid",
            errors=_field_errors(list(exc.errors())),
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
        }
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request,
            exc.status_code,
            detail,
            code=codes.get(exc.status_code, "error"),
            headers=dict(exc.headers) if exc.headers else None,
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        if database_unavailable(exc):
            log.warning("database unavailable", path=request.url.path, error=type(exc).__name__)
            return problem_response(
                request,
                503,
                "The service is unavailable for a moment. Please try again.",
                code="unavailable",
                headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
            )
        log.exception("unhandled error", path=request.url.path)
        return problem_response(request, 500, "Something went wrong on our side.", code="error")

    app.add_exception_handler(SamenError, samen_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
