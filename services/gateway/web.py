"""The web pages: server-rendered, Dutch first, usable on a phone and without JavaScript.

Every form posts back to the server with a CSRF token; a page that can change while it is
open (my requests, proposals, inbox, the coordinator board) follows `/api/v1/events` with a
few lines of script and redraws itself; without script it is simply reloaded by hand.
"""

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from services.gateway.area_names import request_number
from services.gateway.deps import browser_csrf_secret
from services.gateway.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    category_icon,
    category_label,
    direction,
    local_time,
    translate,
)
from services.gateway.principal import Principal
from services.gateway.problem_texts import field_text, problem_text
from services.gateway.problems import Problem
from services.gateway.security import CSRF_COOKIE, csrf_token, new_token
from shared.categories import Category
from shared.texts import N_

TEMPLATE_DIR = Path(__file__).parent / "templates"
# Every template is HTML, whatever its file name: Starlette's default escapes only files named
# .html/.htm/.xml, and these are .html.j2. Escaping is the first line against script in what
# people type (names, descriptions); the Content-Security-Policy is the second.
TEMPLATES = Jinja2Templates(env=Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True))
LANG_COOKIE = "samen_lang"
# "large" when the reader chose larger text (the switch at the top of every page); the page
# carries the class itself, so the choice holds without script and across reloads.
TEXT_SIZE_COOKIE = "samen_text"
TEXT_SIZES = ("normal", "large")


def language_of(request: Request, principal: Principal | None) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    if principal is not None and principal.account.language in LANGUAGES:
        return principal.account.language
    return DEFAULT_LANGUAGE


def web_link(address: str | None) -> str | None:
    """An address a page may link to: http(s) or a path on this site. Anything else
    (`javascript:`, `data:`) is shown as text, never followed: escaping keeps markup out of an
    href, not a script address."""
    if not address:
        return None
    address = address.strip()
    try:
        scheme = urlsplit(address).scheme.lower()
    except ValueError:  # e.g. a broken IPv6 host
        return None
    if scheme in ("http", "https"):
        return address
    if address.startswith("/") and not address.startswith("//") and "\\" not in address:
        return address
    return None


def same_page_in(request: Request, language: str) -> str:
    """This page's path and query, with `lang` set (a relative link)."""
    url = request.url.include_query_params(lang=language)
    return f"{url.path}?{url.query}"


def here(request: Request) -> str:
    """This page's path and query, a relative link back to it (without `done`: the notice
    of what was just done is not said twice)."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "done"])
    return f"{request.url.path}?{query}" if query else request.url.path


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    language = language_of(request, principal)
    secret = browser_csrf_secret(request, principal)
    new_secret = None
    if secret is None:
        secret = new_secret = getattr(request.state, "csrf_secret", None) or new_token()
        request.state.csrf_secret = secret
    gateway = request.app.state.gateway

    def t(text: str) -> str:
        return translate(text, language)

    # Errors by field are msgids (services/gateway/problem_texts.py): shown in this language.
    if isinstance(context.get("errors"), dict):
        context["errors"] = {k: t(v) for k, v in context["errors"].items()}
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "lang": language,
            "dir": direction(language),
            "languages": LANGUAGE_NAMES,
            "t": t,
            "principal": principal,
            "csrf_token": csrf_token(gateway.secret_keys.current, secret),
            "categories": list(Category),
            "category_label": lambda c: category_label(c, language),
            "category_icon": category_icon,
            "area_name": gateway.areas.latest.name,
            "request_number": request_number,
            "web_link": web_link,
            "when": lambda m, with_time=True: local_time(
                m, language, with_time, gateway.settings.time_zone
            ),
            "path": request.url.path,
            "here": here(request),
            "large_text": request.cookies.get(TEXT_SIZE_COOKIE) == "large",
            "lang_url": lambda code: same_page_in(request, code),
            "notice": context.pop("notice", None) or notice_of(request, language),
            **context,
        },
        status_code=status_code,
        headers=headers,
    )
    if new_secret is not None:
        response.set_cookie(
            CSRF_COOKIE,
            new_secret,
            httponly=True,
            secure=gateway.cookie_secure,
            samesite="lax",
            path="/",
        )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/", httponly=True
        )
    return response


NOTICES = {
    "welcome": N_("Welcome! You are signed in."),
    "registered": N_(
        "Thank you. We have sent you an e-mail. Log in with your e-mail address and password."
    ),
    "signed_out": N_("You are signed out."),
    "asked": N_("Your request has been sent. We are looking for a neighbour to help."),
    "saved": N_("Your profile is saved."),
    "password_set": N_("Your new password is set. Log in with it."),
    "accepted": N_("Thank you! You help with this request."),
    "declined": N_("Thank you for letting us know."),
    "matched": N_("The request is matched."),
    "reassigned": N_("The request has been given to the other volunteer."),
    "stopped": N_("The request is cancelled."),
    "cancelled": N_("Your request is cancelled. Nobody will come for it."),
    "closed": N_("The request is closed."),
    "certificate": N_("The date of the certificate of conduct is saved."),
    "email_sent": N_(
        "We have sent a link to the new address. Your address changes once you open that link."
    ),
    "email_changed": N_("Your new e-mail address is confirmed. Log in with it from now on."),
    "passed_on": N_("The task is ticked done."),
    "test_sent": N_("A test message is on its way. It also shows in your inbox on this site."),
}


def notice_of(request: Request, language: str) -> str | None:
    key = request.query_params.get("done")
    return translate(NOTICES[key], language) if key in NOTICES else None


def render_error(
    request: Request,
    problem: Problem,
    *,
    reason: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error page says what went wrong in the page's language, chosen by the problem's
    code, reason and fields; never its English `detail`."""
    principal = getattr(request.state, "principal", None)
    try:
        return render(
            request,
            "error.html.j2",
            principal,
            status_code=problem.status,
            headers=headers,
            problem=problem,
            message=problem_text(problem.code, reason, problem.status),
            field_messages=list(
                dict.fromkeys(field_text(e.field, None, problem.code) for e in problem.errors or [])
            ),
        )
    except Exception:  # the error page itself must never fail
        title = escape(translate(problem.title, DEFAULT_LANGUAGE))
        return HTMLResponse(
            f"<!doctype html><title>{title}</title><h1>{title}</h1>",
            status_code=problem.status,
            headers=headers,
        )
