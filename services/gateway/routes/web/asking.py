"""Asking for help and the requester's own requests."""

from datetime import date, datetime, time
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway import calendar
from services.gateway.deps import GatewayDep
from services.gateway.i18n import category_label, translate
from services.gateway.principal import Principal
from services.gateway.problem_texts import field_text
from services.gateway.routes.params import IdPath
from services.gateway.routes.web.forms import (
    DAY_PARTS,
    Member,
    checked_form,
    field_errors,
    redirect,
    text,
)
from services.gateway.schemas import FeedbackBody, RequestBody, valid_idempotency_key
from services.gateway.security import new_token
from services.gateway.usecases import coordinators, requests
from services.gateway.web import language_of, render
from shared.clock import from_local, to_local
from shared.contracts import registry as rc
from shared.errors import Conflict, Invalid, NotFound, SamenError

router = APIRouter(include_in_schema=False)


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
            view = await requests.ask_for_help(gateway, principal, body, idempotency_key=key)
        else:
            view = await coordinators.ask_on_behalf(
                gateway, principal, body, requester.member_id, idempotency_key=key
            )
    except (ValueError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status in (403, 429, 503):
            raise
        errors = (
            field_errors(exc)
            if not isinstance(exc, ValueError) or isinstance(exc, ValidationError)
            else {"day": field_text("day")}
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
    mine = await requests.my_requests(gateway, principal)
    return render(request, "requests.html.j2", principal, requests=mine)


@router.get("/requests/{request_id}")
async def request_page(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    view, as_coordinator = await requests.visible_request(gateway, principal, request_id)
    if as_coordinator:
        return redirect(f"/board/{quote(request_id)}")
    out = await requests.request_out(gateway, view, viewer=principal)
    return render(
        request,
        "request.html.j2",
        principal,
        request_view=out,
        is_requester=principal.member_id in (view.requester_id, view.entered_by),
    )


@router.get("/requests/{request_id}/cancel")
async def cancel_confirm(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    """Are you sure? (a page of its own: cancelling takes a second step, without script)"""
    view, as_coordinator = await requests.visible_request(gateway, principal, request_id)
    if as_coordinator:
        return redirect(f"/board/{quote(request_id)}")
    if not requests.may_cancel(view, principal.member_id):
        return redirect(f"/requests/{quote(request_id)}")
    out = await requests.request_out(gateway, view, viewer=principal)
    return render(request, "cancel_confirm.html.j2", principal, request_view=out)


@router.post("/requests/{request_id}/cancel")
async def cancel_submit(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    await requests.cancel(gateway, principal, request_id)
    return redirect(f"/requests/{quote(request_id)}?done=cancelled")


def score_of(form: FormData) -> int | None:
    """The chosen rating (1 to 5); anything else is no score."""
    value = text(form, "score")
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


@router.post("/requests/{request_id}/complete")
async def complete_submit(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    try:
        hours = float(text(form, "hours").replace(",", ".")) if text(form, "hours") else None
    except ValueError:
        hours = None
    await requests.complete(
        gateway,
        principal,
        request_id,
        hours=hours if hours is None or 0 <= hours <= 168 else None,
        score=score_of(form),
        comment=text(form, "feedback")[:2000] or None,
    )
    # The thank-you, or (without a score or comment) the feedback form once more.
    return redirect(f"/requests/{quote(request_id)}/feedback")


@router.get("/requests/{request_id}/feedback")
async def feedback_page(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    """Where the requester's e-mail "how did it go?" leads (and the volunteer's page): the
    form while this side has not said it, else the thank-you; before the help was marked as
    given, the request's own page with its "help was given" form."""
    view, as_coordinator = await requests.visible_request(gateway, principal, request_id)
    if as_coordinator:
        return redirect(f"/board/{quote(request_id)}")
    out = await requests.request_out(gateway, view, viewer=principal)
    if out.my_side is None or out.state != "done":
        anchor = "#done" if out.state == "matched" and out.my_side else ""
        return redirect(f"/requests/{quote(request_id)}{anchor}")
    return render(request, "feedback.html.j2", principal, request_view=out, values={}, errors={})


@router.post("/requests/{request_id}/feedback")
async def feedback_submit(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    values = {"score": text(form, "score"), "comment": text(form, "comment")[:2000]}
    try:
        body = FeedbackBody(score=score_of(form), comment=values["comment"] or None)
        await requests.give_feedback(gateway, principal, request_id, body)
    except (ValueError, Invalid):
        view, _ = await requests.visible_request(gateway, principal, request_id)
        return render(
            request,
            "feedback.html.j2",
            principal,
            status_code=422,
            request_view=await requests.request_out(gateway, view, viewer=principal),
            values=values,
            errors={
                "score": translate(
                    "Choose an answer or write a few words.", language_of(request, principal)
                )
            },
        )
    except Conflict as exc:  # given already (a second click): the thank-you again
        if (exc.details or {}).get("reason") != "feedback_given":
            raise
    return redirect(f"/requests/{quote(request_id)}/feedback")


@router.get("/requests/{request_id}/calendar.ics")
async def job_calendar(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    """The agreed time for the volunteer's own calendar: only the matched volunteer gets it."""
    job = await requests.matched_job(gateway, request_id, principal.member_id)
    if job is None:
        raise NotFound("No such job for you.")
    view, asker = job, job.requester
    if view.needed_from is None or view.needed_until is None:
        raise NotFound("This job has no agreed time.")
    language = language_of(request, principal)
    contact = [
        f"{translate(label, language)}: {value}"
        for label, value in (
            (("Phone", asker.phone), ("E-mail address", asker.email)) if asker else ()
        )
        if value
    ] or [translate("Reach each other via the coordinator.", language)]
    body = calendar.job_calendar(
        request_id=view.id,
        summary=f"{translate('Samen', language)}: {category_label(view.category, language)}",
        start=view.needed_from,
        end=view.needed_until,
        zone=gateway.settings.time_zone,
        now=gateway.clock.now(),
        place=gateway.areas.latest.name(view.neighbourhood) or None,
        requester=asker,
        contact_lines=contact,
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="samen-{view.id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )
