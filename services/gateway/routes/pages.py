"""The web pages (HTML); each handler calls the same use cases as the JSON API."""

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway import charts, reporting, usecases
from services.gateway.bootstrap import Gateway
from services.gateway.deps import GatewayDep, MaybeMember, Principal, browser_csrf_secret
from services.gateway.i18n import SPOKEN_LANGUAGES, translate
from services.gateway.problems import TooManyAttempts
from services.gateway.routes.api.auth import (
    clear_session_cookies,
    client_of,
    set_session_cookies,
)
from services.gateway.schemas import (
    IdPath,
    LinkTokenPath,
    LoginBody,
    NewPassword,
    OnBehalfMember,
    PasswordResetBody,
    RegisterBody,
    RequestBody,
    has_control_characters,
    valid_idempotency_key,
)
from services.gateway.security import CSRF_FIELD, csrf_valid, new_token
from services.gateway.web import area_name, area_names, language_of, render
from shared.categories import Category
from shared.clock import from_local, to_local
from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.contracts.bounds import FEW
from shared.errors import Conflict, Forbidden, Invalid, NotFound, SamenError
from shared.events import AvailabilitySlot
from shared.rpc import MAX_FIELD_ERRORS

router = APIRouter(include_in_schema=False)

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


# ------------------------------------------------------------------ home, register, log in


@router.get("/")
async def home(request: Request, principal: MaybeMember) -> Response:
    return render(request, "home.html.j2", principal)


@router.get("/register")
async def register_page(request: Request, principal: MaybeMember) -> Response:
    return render(request, "register.html.j2", principal, values={}, errors={})


@router.post("/register")
async def register_submit(
    request: Request, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    values = {k: text(form, k) for k in ("name", "email", "postcode", "house_number", "phone")}
    volunteer = form.get("volunteer") == "on"
    try:
        body = RegisterBody(
            **{k: v for k, v in values.items() if v or k != "phone"},
            password=text(form, "password"),
            language=language_of(request, principal),
            volunteer=volunteer,
            share_phone=form.get("share_phone") == "on",
        )
        await usecases.register(
            gateway,
            body,
            client=client_of(request),
            consents={"matching": form.get("consent_matching") == "on"},
        )
    except (ValidationError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status in (429, 503):
            raise
        return render(
            request,
            "register.html.j2",
            principal,
            status_code=422 if isinstance(exc, ValidationError) else exc.http_status,
            values={**values, "volunteer": volunteer},
            errors=field_errors(exc),
        )
    # Not signed in yet, new address or taken: the same page either way (only the owner of a
    # taken address hears of it, by e-mail), and the log-in leads on to the next step.
    after = "/volunteer" if volunteer else "/ask"
    return redirect("/login?" + urlencode({"done": "registered", "next": after}))


TOO_MANY_FAILURES = "Too many failed attempts. Wait {seconds} seconds and try again."


def safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login")
async def login_page(
    request: Request, principal: MaybeMember, next: Annotated[str | None, Query()] = None
) -> Response:
    return render(request, "login.html.j2", principal, next=safe_next(next), errors={}, email="")


@router.post("/login")
async def login_submit(request: Request, principal: MaybeMember, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    email, target = text(form, "email"), safe_next(text(form, "next"))
    try:
        body = LoginBody(email=email, password=text(form, "password") or " ")
        account = await usecases.authenticate(gateway, body, client=client_of(request))
    except TooManyAttempts as exc:
        language = language_of(request, principal)
        wait = translate(TOO_MANY_FAILURES, language)
        return render(
            request,
            "login.html.j2",
            principal,
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
            next=target,
            email=email,
            errors={"form": wait.format(seconds=exc.retry_after)},
        )
    except (ValidationError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status == 503:
            raise
        status = exc.http_status if isinstance(exc, SamenError) else 422
        return render(
            request,
            "login.html.j2",
            principal,
            status_code=status,
            next=target,
            email=email,
            errors=field_errors(exc),
        )
    token, csrf_secret = await usecases.open_session(gateway, account, kind="cookie")
    if target == "/":
        target = "/board" if "coordinator" in account.roles else "/requests"
    response = redirect(target + ("&" if "?" in target else "?") + "done=welcome")
    set_session_cookies(response, gateway, token=token, csrf_secret=csrf_secret)
    return response


@router.get("/password-reset")
async def password_reset_page(request: Request, principal: MaybeMember) -> Response:
    return render(request, "password_reset.html.j2", principal, sent=False, email="", errors={})


@router.post("/password-reset")
async def password_reset_submit(
    request: Request, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    """The same page whether or not the address is known (only its owner gets an e-mail)."""
    form = await checked_form(request, principal)
    email = text(form, "email")
    try:
        body = PasswordResetBody(email=email)
        await usecases.request_password_reset(gateway, body.email, client=client_of(request))
    except ValidationError as exc:
        return render(
            request,
            "password_reset.html.j2",
            principal,
            status_code=422,
            sent=False,
            email=email,
            errors=field_errors(exc),
        )
    return render(request, "password_reset.html.j2", principal, sent=True, email="", errors={})


def refused_link_page(
    request: Request, principal: Principal | None, exc: usecases.LinkRefused
) -> Response:
    """A reset or invitation link that is used, expired or not genuine: say so plainly."""
    return render(
        request,
        "set_password.html.j2",
        principal,
        status_code=exc.http_status,
        refused=exc.message,
        token="",
        errors={},
    )


@router.get("/reset/{token}")
async def set_password_page(
    request: Request, token: LinkTokenPath, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    """Opening the link spends nothing (a mail scanner may open it): the form does."""
    try:
        await usecases.open_account_link(gateway, token)
    except usecases.LinkRefused as exc:
        return refused_link_page(request, principal, exc)
    return render(request, "set_password.html.j2", principal, refused=None, token=token, errors={})


@router.post("/reset/{token}")
async def set_password_submit(
    request: Request, token: LinkTokenPath, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    try:
        body = NewPassword(password=text(form, "password"))
        await usecases.set_password_by_link(gateway, token, body)
    except usecases.LinkRefused as exc:
        return refused_link_page(request, principal, exc)
    except ValidationError as exc:
        return render(
            request,
            "set_password.html.j2",
            principal,
            status_code=422,
            refused=None,
            token=token,
            errors=field_errors(exc),
        )
    response = redirect("/login?done=password_set")
    if principal is not None:  # every session of the member has ended, this one too
        clear_session_cookies(response, gateway)
    return response


@router.post("/logout")
async def logout_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    await checked_form(request, principal)
    await usecases.logout(gateway, principal)
    response = redirect("/?done=signed_out")
    clear_session_cookies(response, gateway)
    return response


# ------------------------------------------------------------------ asking for help


def window_of(form: FormData, zone: str) -> tuple[datetime | None, datetime | None]:
    """The form's day and part of day, read as the cooperative's local time, in UTC."""
    if text(form, "when") != "day":
        return None, None
    try:
        day = date.fromisoformat(text(form, "day"))
    except ValueError as exc:
        raise ValueError("day: choose a day") from exc
    start, end = DAY_PARTS.get(text(form, "part"), ("08:00", "21:00"))
    return (
        from_local(day, time.fromisoformat(start), zone),
        from_local(day, time.fromisoformat(end), zone),
    )


@router.get("/ask")
async def ask_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    today = to_local(gateway.clock.now(), gateway.settings.time_zone).date()
    return render(
        request,
        "ask.html.j2",
        principal,
        values={"day": today.isoformat(), "idempotency_key": new_token()},
        errors={},
        today=today,
    )


@router.post("/ask")
async def ask_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    return await submit_request(request, principal, gateway)


async def submit_request(
    request: Request,
    principal: Principal,
    gateway: GatewayDep,
    *,
    requester: rc.MemberInfo | None = None,
) -> Response:
    form = await checked_form(request, principal)
    values = {k: text(form, k) for k in ("category", "description", "when", "day", "part")}
    values["urgent"] = "on" if form.get("urgent") == "on" else ""
    # One key per rendered form: sending it twice (a retry after a 503, a double click)
    # finds the request the first send made.
    key = valid_idempotency_key(text(form, "idempotency_key"))
    values["idempotency_key"] = key or new_token()
    try:
        needed_from, needed_until = window_of(form, gateway.settings.time_zone)
        body = RequestBody(
            category=values["category"],
            description=values["description"],
            needed_from=needed_from,
            needed_until=needed_until,
            urgent=bool(values["urgent"]),
            languages=[requester.language if requester else language_of(request, principal)],
        )
        if requester is None:
            view = await usecases.ask_for_help(gateway, principal, body, idempotency_key=key)
        else:
            view = await usecases.ask_on_behalf(
                gateway, principal, body, requester.member_id, idempotency_key=key
            )
    except (ValueError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status in (403, 429, 503):
            raise
        errors = (
            field_errors(exc)
            if not isinstance(exc, ValueError) or isinstance(exc, ValidationError)
            else {"day": str(exc)}
        )
        return render(
            request,
            "ask.html.j2",
            principal,
            status_code=422,
            values=values,
            errors=errors,
            today=to_local(gateway.clock.now(), gateway.settings.time_zone).date(),
            requester=requester,
        )
    if requester is not None:
        return redirect(f"/board/{quote(view.request_id)}?done=asked")
    return redirect(f"/requests/{quote(view.request_id)}?done=asked")


# ------------------------------------------------------------------ my requests


@router.get("/requests")
async def my_requests(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    requests = await gateway.matching.mine(principal.member_id)
    return render(request, "requests.html.j2", principal, requests=requests)


@router.get("/requests/{request_id}")
async def request_page(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    view, as_coordinator = await usecases.visible_request(gateway, principal, request_id)
    if as_coordinator:
        return redirect(f"/board/{quote(request_id)}")
    out = await usecases.request_out(gateway, view, viewer=principal)
    return render(
        request,
        "request.html.j2",
        principal,
        request_view=out,
        is_requester=principal.member_id in (view.requester_id, view.entered_by),
    )


@router.post("/requests/{request_id}/cancel")
async def cancel_submit(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    await gateway.matching.cancel(request_id, actor_id=principal.member_id)
    return redirect(f"/requests/{quote(request_id)}")


@router.post("/requests/{request_id}/complete")
async def complete_submit(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    try:
        hours = float(text(form, "hours").replace(",", ".")) if text(form, "hours") else None
    except ValueError:
        hours = None
    await gateway.matching.complete(
        mc.RequestComplete(
            request_id=request_id,
            actor_id=principal.member_id,
            hours=hours if hours is None or 0 <= hours <= 168 else None,
            comment=text(form, "feedback")[:2000] or None,
        )
    )
    return redirect(f"/requests/{quote(request_id)}")


# ------------------------------------------------------------------ volunteers


EMPTY_SLOT_ROWS = 2  # blank day + from + to rows for adding times the grid cannot hold


def whole_part(slot: AvailabilitySlot) -> str | None:
    """The grid cell ("1-morning") a slot fills exactly, if any."""
    for part, (start, end) in DAY_PARTS.items():
        if slot.start == start and slot.end == end:
            return f"{slot.weekday}-{part}"
    return None


def volunteer_form(
    request: Request,
    principal: Principal,
    *,
    profile: Any,
    availability: list[AvailabilitySlot],
    languages: list[str],
    consent: bool,
    rows: list[tuple[str, str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The volunteer form: whole parts of the day in the grid, every other slot as its own
    editable day + from + to row, so a save never drops a slot the grid cannot show."""
    if rows is None:
        rows = [(str(s.weekday), s.start, s.end) for s in availability if whole_part(s) is None]
    rows = [*rows, *[("", "", "")] * EMPTY_SLOT_ROWS]
    # A code chosen before the list existed (or through the API) stays on offer, by its code.
    offered = {**SPOKEN_LANGUAGES, **{c: c for c in languages if c not in SPOKEN_LANGUAGES}}
    return render(
        request,
        "volunteer.html.j2",
        principal,
        status_code=status_code,
        profile=profile,
        slots={cell for s in availability if (cell := whole_part(s)) is not None},
        slot_rows=rows,
        spoken_languages=offered,
        chosen_languages=set(languages),
        consent=consent,
        day_parts=list(DAY_PARTS),
        errors=errors or {},
    )


@router.get("/volunteer")
async def volunteer_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    profile: Any
    try:
        profile = await gateway.registry.volunteer_profile(principal.member_id)
    except NotFound:
        profile = None
    member = await gateway.registry.member(principal.member_id, actor_id=principal.member_id)
    consent = member.consents.get("matching")
    return volunteer_form(
        request,
        principal,
        profile=profile,
        availability=list(profile.availability) if profile else [],
        languages=list(profile.languages) if profile else [language_of(request, principal)],
        consent=bool(consent and consent.granted),
    )


def submitted_slots(form: FormData) -> tuple[list[AvailabilitySlot], list[tuple[str, str, str]]]:
    """The grid's whole parts and the day + from + to rows, in that order, without repeats.
    A row with no day and no times is blank; a half-filled or backwards row is refused, so
    nothing the volunteer typed is silently lost."""
    slots: list[AvailabilitySlot] = []
    for value in form.getlist("slot"):
        weekday, _, part = str(value).partition("-")
        if weekday in {str(d) for d in range(7)} and part in DAY_PARTS:
            start, end = DAY_PARTS[part]
            slots.append(AvailabilitySlot(weekday=int(weekday), start=start, end=end))
    days, starts, ends = (
        [str(v).strip() for v in form.getlist(name)]
        for name in ("slot_day", "slot_from", "slot_to")
    )
    if not len(days) == len(starts) == len(ends):
        raise Invalid("the time rows are incomplete", details={"field": "slot_rows"})
    rows = list(zip(days, starts, ends, strict=True))
    for day, start, end in rows:
        if not (day or start or end):
            continue
        try:
            slot = AvailabilitySlot(weekday=int(day), start=start, end=end)
        except (ValueError, ValidationError) as exc:
            raise Invalid("bad time row", details={"field": "slot_rows"}) from exc
        if slot.end <= slot.start:
            raise Invalid("a time row ends before it starts", details={"field": "slot_rows"})
        slots.append(slot)
    return list(dict.fromkeys(slots)), [r for r in rows if any(r)]


def submitted_languages(form: FormData, known: set[str]) -> list[str]:
    """Codes from the named list (or ones the profile already had); anything else is refused."""
    chosen = list(dict.fromkeys(str(v) for v in form.getlist("languages")))
    if any(code not in SPOKEN_LANGUAGES and code not in known for code in chosen):
        raise Invalid("unknown language", details={"field": "languages"})
    if not chosen:
        raise Invalid("no language", details={"field": "languages"})
    return chosen


@router.post("/volunteer")
async def volunteer_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    language = language_of(request, principal)
    current: rc.VolunteerProfile | None
    try:
        current = await gateway.registry.volunteer_profile(principal.member_id)
    except NotFound:
        current = None
    known = set(current.languages) if current else set()
    chosen = [str(v) for v in form.getlist("languages")][:FEW]
    rows: list[tuple[str, str, str]] = []
    try:
        slots, rows = submitted_slots(form)
        languages = submitted_languages(form, known)
        radius = float(text(form, "radius_km").replace(",", ".") or 2)
        max_open = int(text(form, "max_open") or 3)
        command = rc.VolunteerProfileSet(
            member_id=principal.member_id,
            actor_id=principal.member_id,
            categories=[Category(str(c)) for c in form.getlist("categories")],
            availability=slots,
            flexible=form.get("flexible") == "on",
            radius_km=radius,
            languages=languages,
            max_open=max_open,
            active=form.get("active") == "on",
            # The page does not show the certificate of conduct: keep the one on file.
            certificate_of_conduct_date=current.certificate_of_conduct_date if current else None,
        )
        await gateway.registry.update_member(
            rc.MemberUpdate(
                member_id=principal.member_id,
                actor_id=principal.member_id,
                consents={"matching": form.get("consent_matching") == "on"},
                roles=(None if "volunteer" in principal.roles else [*principal.roles, "volunteer"]),
            )
        )
        if "volunteer" not in principal.roles:
            await gateway.store.set_roles_for_member(
                principal.member_id, [*principal.roles, "volunteer"]
            )
        await gateway.registry.set_volunteer_profile(command)
    except (ValueError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status in (429, 503):
            raise
        errors = field_errors(exc)
        if "slot_rows" in errors:
            errors["slot_rows"] = translate(
                "Choose a day and both times, with the end after the start.", language
            )
        if "languages" in errors:
            errors["languages"] = translate(
                "Choose at least one language."
                if not chosen
                else "Choose languages from the list.",
                language,
            )
        grid = [
            AvailabilitySlot(weekday=int(d), start=DAY_PARTS[p][0], end=DAY_PARTS[p][1])
            for v in form.getlist("slot")
            for d, _, p in [str(v).partition("-")]
            if d in {str(n) for n in range(7)} and p in DAY_PARTS
        ]
        return volunteer_form(
            request,
            principal,
            profile=None,
            availability=grid,
            languages=[c for c in chosen if c in SPOKEN_LANGUAGES or c in known],
            consent=form.get("consent_matching") == "on",
            rows=rows or None,
            errors=errors,
            status_code=422,
        )
    return redirect("/proposals?done=saved")


@router.get("/proposals")
async def proposals_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    proposals = await gateway.matching.proposals(principal.member_id)
    return render(request, "proposals.html.j2", principal, proposals=proposals)


@router.post("/proposals/{proposal_id}/{answer}")
async def proposal_submit(
    proposal_id: IdPath, answer: str, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    if answer not in ("accept", "decline"):
        raise NotFound("No such answer.")
    try:
        await gateway.matching.answer(
            proposal_id, volunteer_id=principal.member_id, accept=answer == "accept"
        )
    except Forbidden as exc:
        raise NotFound("No such proposal for you.") from exc
    return redirect(f"/proposals?done={answer}ed")


async def link_view(
    request: Request,
    principal: Principal | None,
    gateway: Gateway,
    token: str,
    link: nc.ProposalLink,
    *,
    closed: bool = False,
) -> Response:
    """The page of a link: its question and button while the proposal is open, otherwise
    what became of it (the answer given, taken by someone else, or over); `closed`: matching
    refused the answer (409), whatever notify has heard of it yet."""
    proposal = None
    try:
        proposals = await gateway.matching.proposals(link.volunteer_id)
        proposal = next((p for p in proposals if p.proposal_id == link.proposal_id), None)
    except SamenError:
        pass
    return render(
        request,
        "link.html.j2",
        principal,
        status_code=409 if closed else 200,
        link=link,
        token=token,
        proposal=proposal,
        closed=closed,
    )


@router.get("/p/{token}")
async def link_page(
    token: LinkTokenPath, request: Request, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    """The accept/decline link from a message: looking does not answer (mail scanners open
    links); the button on this page does."""
    link = await gateway.notify.verify_link(token)
    return await link_view(request, principal, gateway, token, link)


@router.post("/p/{token}")
async def link_submit(
    token: LinkTokenPath, request: Request, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    try:
        link, _ = await usecases.answer_by_link(gateway, token)
    except Conflict:  # answered otherwise, taken by someone else, or over: the page says which
        link = await gateway.notify.verify_link(token)
        return await link_view(request, principal, gateway, token, link, closed=True)
    notice = "accepted" if link.action == "accept" else "declined"
    if principal is not None and principal.member_id == link.volunteer_id:
        return redirect(f"/proposals?done={notice}")
    return render(
        request,
        "link_done.html.j2",
        principal,
        notice=translate(
            {
                "accepted": "Thank you! You help with this request.",
                "declined": "Thank you for letting us know.",
            }[notice],
            language_of(request, principal),
        ),
    )


# ------------------------------------------------------------------ inbox, social map


@router.get("/inbox")
async def inbox_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    page = await gateway.notify.inbox(principal.member_id)
    return render(request, "inbox.html.j2", principal, page=page)


@router.post("/inbox/{item_id}/read")
async def inbox_read(
    item_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    await gateway.notify.mark_read(principal.member_id, [item_id])
    return redirect("/inbox")


@router.get("/map")
async def social_map(
    request: Request,
    principal: MaybeMember,
    gateway: GatewayDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    area: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    chosen = category if category in {c.value for c in Category} else None
    area_code = area if area and area[:2] in ("GM", "WK", "BU") and area[2:].isdigit() else None
    results = await gateway.registry.directory(
        rc.DirectorySearch(
            q=q or None,
            category=Category(chosen) if chosen else None,
            area_code=area_code,
        )
    )
    return render(
        request,
        "map.html.j2",
        principal,
        results=results,
        q=q or "",
        chosen=chosen or "",
        area=area_code or "",
    )


# ------------------------------------------------------------------ coordinators


@router.get("/board")
async def board_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    areas = await usecases.coordinator_areas(gateway, principal)
    board = await gateway.matching.board(coordinator_id=principal.member_id, area_codes=areas)
    columns = [
        (
            state,
            [r for r in board.requests.get(state, []) if usecases.in_areas(areas, r.neighbourhood)],
        )
        for state in ("escalated", "open", "proposed", "matched")
    ]
    return render(request, "board.html.j2", principal, areas=areas, columns=columns, board=board)


@router.get("/board/{request_id}")
async def board_request(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    areas = await usecases.coordinator_areas(gateway, principal)
    view = await gateway.matching.get(request_id, actor_id=principal.member_id, area_codes=areas)
    await usecases.check_in_areas(areas, view)
    requester, candidates = await asyncio.gather(
        gateway.registry.member(view.requester_id, actor_id=principal.member_id),
        gateway.matching.candidates(
            coordinator_id=principal.member_id, area_codes=areas, request_id=request_id
        ),
        return_exceptions=True,
    )
    names: dict[str, str] = {}
    if not isinstance(candidates, BaseException):
        found = await asyncio.gather(
            *(gateway.registry.contact(c.volunteer_id) for c in candidates.candidates),
            return_exceptions=True,
        )
        # First names only: enough to choose, and the volunteer may live outside the area.
        names = {m.member_id: m.first_name for m in found if not isinstance(m, BaseException)}
    await gateway.store.audit(
        actor_id=principal.member_id,
        action="request.view",
        subject_type="request",
        subject_ids=[view.request_id],
        area=view.neighbourhood,
    )
    await gateway.store.audit(
        actor_id=principal.member_id,
        action="member.view",
        subject_type="member",
        subject_ids=[view.requester_id, *names],
        area=view.neighbourhood,
    )
    out = await usecases.request_out(gateway, view, viewer=principal, as_coordinator=True)
    return render(
        request,
        "board_request.html.j2",
        principal,
        request_view=out,
        requester=None if isinstance(requester, BaseException) else requester,
        candidates=[] if isinstance(candidates, BaseException) else candidates.candidates,
        names=names,
    )


@router.post("/board/{request_id}/match")
async def board_match(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    await usecases.coordinator_match(gateway, principal, request_id, text(form, "volunteer_id"))
    return redirect(f"/board/{quote(request_id)}?done=matched")


# ------------------------------------------------------------------ reports


def local_day(value: str | None, zone: str, *, next_day: bool = False) -> datetime | None:
    """A date from a form as the start (or the end) of that day in the cooperative's zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid("give dates as YYYY-MM-DD") from exc
    if next_day:
        day += timedelta(days=1)
    return from_local(day, time(0, 0), zone)


@router.get("/reports")
async def reports_page(
    request: Request,
    principal: MaybeMember,
    gateway: GatewayDep,
    area: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> Response:
    language = language_of(request, principal)

    def t(text: str) -> str:
        return translate(text, language)

    code = area if area and area[:2] in ("GM", "WK", "BU") and area[2:].isdigit() else "GM0344"
    start, end = reporting.period(
        gateway.clock.now(),
        local_day(since, gateway.settings.time_zone),
        local_day(until, gateway.settings.time_zone, next_day=True),
    )
    total, weeks = await asyncio.gather(
        gateway.matching.figures(
            mc.FiguresQuery(area_code=code, period_from=start, period_until=end)
        ),
        reporting.weekly(gateway.matching, code, start, end, gateway.settings.time_zone),
    )
    mondays = [to_local(w.start, gateway.settings.time_zone) for w in weeks]
    labels = [f"{monday.day}-{monday.month}" for monday in mondays]
    states = ["open", "proposed", "escalated", "matched", "done", "cancelled", "expired"]
    series = {s: [w.figures.by_state.get(s) or 0 for w in weeks] for s in states}
    series = {k: v for k, v in series.items() if any(v)} or {"open": [0] * len(weeks)}
    per_week = charts.stacked_bars(
        t("Requests per week by state"),
        labels,
        series,
        {s: t(f"state.{s}").split(":")[0] for s in states},
    )
    time_to_match = charts.line_chart(
        t("Time to match (median hours) per week"),
        labels,
        [w.figures.time_to_match_median_hours for w in weeks],
        t("hours"),
    )
    neighbourhoods = total.by_neighbourhood or total.unmet_by_neighbourhood
    map_title = (
        t("Requests per neighbourhood")
        if total.by_neighbourhood
        else t("Unmet requests per neighbourhood")
    )
    utrecht_map = charts.neighbourhood_map(
        map_title,
        neighbourhoods,
        {
            "none": t("none"),
            "few": t("few"),
            "many": t("many"),
            "suppressed": t("fewer than 5 (hidden)"),
        },
    )
    districts = sorted(
        ((c, n) for c, n in area_names().items() if c.startswith("WK")),
        key=lambda item: item[1],
    )
    return render(
        request,
        "reports.html.j2",
        principal,
        area=code,
        area_label=area_name(code),
        districts=districts,
        figures=total,
        weeks=weeks,
        per_week=per_week,
        time_to_match=time_to_match,
        utrecht_map=utrecht_map,
        map_title=map_title,
        neighbourhoods=neighbourhoods,
        start=start,
        end=end - timedelta(seconds=1),
        csv_url="/api/v1/reports.csv?"
        + urlencode({"area": code, "from": start.isoformat(), "to": end.isoformat()}),
        since=to_local(start, gateway.settings.time_zone).date().isoformat(),
        until=to_local(end - timedelta(seconds=1), gateway.settings.time_zone).date().isoformat(),
    )


# ------------------------------------------------------------------ my details, privacy


@router.get("/me")
async def me_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    member = await gateway.registry.member(principal.member_id, actor_id=principal.member_id)
    return render(request, "me.html.j2", principal, member=member, errors={})


@router.post("/me")
async def me_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    language = text(form, "language")
    try:
        member = await gateway.registry.update_member(
            rc.MemberUpdate(
                member_id=principal.member_id,
                actor_id=principal.member_id,
                name=text(form, "name") or None,
                phone=text(form, "phone"),
                language=language if language in ("nl", "en") else None,
                consents={
                    purpose: form.get(f"consent_{purpose}") == "on"
                    for purpose in rc.CONSENT_PURPOSES
                },
            )
        )
    except SamenError as exc:
        if exc.http_status in (429, 503):
            raise
        member = await gateway.registry.member(principal.member_id, actor_id=principal.member_id)
        return render(
            request,
            "me.html.j2",
            principal,
            status_code=422,
            member=member,
            errors=field_errors(exc),
        )
    await gateway.store.update_account(principal.account.account_id, language=member.language)
    response = redirect("/me?done=saved")
    response.delete_cookie("samen_lang", path="/")
    return response


@router.post("/me/delete")
async def me_delete(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    if form.get("confirm") != "on":
        return redirect("/me")
    await usecases.erase(gateway, principal)
    response = redirect("/?done=signed_out")
    clear_session_cookies(response, gateway)
    return response


@router.get("/me/notifications")
async def notifications_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    preferences = await gateway.notify.preferences(principal.member_id)
    return render(request, "notifications.html.j2", principal, preferences=preferences, errors={})


@router.post("/me/notifications")
async def notifications_submit(
    request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    try:
        await gateway.notify.set_preferences(
            nc.PreferencesUpdate(
                member_id=principal.member_id,
                channels=["email"] if form.get("email") == "on" else [],
                quiet_start=text(form, "quiet_start") or None,
                quiet_end=text(form, "quiet_end") or None,
            )
        )
    except (ValueError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status in (429, 503):
            raise
        preferences = await gateway.notify.preferences(principal.member_id)
        return render(
            request,
            "notifications.html.j2",
            principal,
            status_code=422,
            preferences=preferences,
            errors=field_errors(exc),
        )
    return redirect("/me/notifications?done=saved")


# Paths that messages from notify point to.


@router.get("/coordinator/board")
async def coordinator_board_link() -> Response:
    return redirect("/board")


@router.get("/proposals/{proposal_id}")
async def proposal_link(proposal_id: IdPath) -> Response:
    return redirect(f"/proposals#p-{quote(proposal_id)}")


@router.get("/requests/{request_id}/feedback")
async def feedback_link(request_id: IdPath) -> Response:
    return redirect(f"/requests/{quote(request_id)}#done")


# ------------------------------------------------------------------ the information point


@router.get("/board/members/new")
async def new_member_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    await usecases.coordinator_areas(gateway, principal)
    return render(request, "new_member.html.j2", principal, values={}, errors={})


@router.post("/board/members/new")
async def new_member_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    values = {k: text(form, k) for k in ("name", "postcode", "house_number", "phone", "email")}
    try:
        body = OnBehalfMember(
            **{k: v for k, v in values.items() if v},
            language=text(form, "language") if text(form, "language") == "en" else "nl",
        )
        member = await usecases.register_on_behalf(gateway, principal, body)
    except (ValidationError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status in (429, 503):
            raise
        return render(
            request,
            "new_member.html.j2",
            principal,
            status_code=exc.http_status if isinstance(exc, SamenError) else 422,
            values=values,
            errors=field_errors(exc),
        )
    return redirect(f"/board/ask/{quote(member.member_id)}")


@router.get("/board/ask/{member_id}")
async def ask_on_behalf_page(
    member_id: str, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    areas = await usecases.coordinator_areas(gateway, principal)
    requester = await gateway.registry.member(member_id, actor_id=principal.member_id)
    if not usecases.in_areas(areas, requester.neighbourhood):
        raise Forbidden("This resident lives outside the areas of your cooperative.")
    today = to_local(gateway.clock.now(), gateway.settings.time_zone).date()
    return render(
        request,
        "ask.html.j2",
        principal,
        values={"day": today.isoformat(), "idempotency_key": new_token()},
        errors={},
        today=today,
        requester=requester,
    )


@router.post("/board/ask/{member_id}")
async def ask_on_behalf_submit(
    member_id: str, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    requester = await gateway.registry.member(member_id, actor_id=principal.member_id)
    return await submit_request(request, principal, gateway, requester=requester)


@router.get("/notice-board")
async def notice_board(
    request: Request,
    principal: MaybeMember,
    gateway: GatewayDep,
    area: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """The sheet the living room pins up: open requests by category and day, never names."""
    code = area if area and area[:2] in ("GM", "WK", "BU") and area[2:].isdigit() else "GM0344"
    board = await gateway.matching.notice_board(code)
    return render(request, "notice_board.html.j2", principal, board=board, area=code)
