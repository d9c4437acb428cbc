"""The volunteer's profile, proposals and answering by link."""

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.gateway.bootstrap import Gateway
from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.i18n import SPOKEN_LANGUAGES
from services.gateway.principal import Principal
from services.gateway.routes.params import IdPath, LinkTokenPath
from services.gateway.routes.web.forms import (
    DAY_PARTS,
    Member,
    checked_form,
    day_time_rows,
    form_errors,
    redirect,
    text,
)
from services.gateway.usecases import accounts, requests, volunteers
from services.gateway.web import language_of, render
from shared.categories import Category
from shared.certificates import certificate_expires, certificate_state
from shared.clock import to_local
from shared.contracts import registry as rc
from shared.contracts.bounds import FEW
from shared.errors import Conflict, Invalid, NotFound, SamenError
from shared.events import AvailabilitySlot
from shared.texts import N_

router = APIRouter(include_in_schema=False)


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
    gateway = request.app.state.gateway
    today = to_local(gateway.clock.now(), gateway.settings.time_zone).date()
    issued = profile.certificate_of_conduct_date if profile else None
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
        # The certificate of conduct, as the coordinator recorded it and its reminders say.
        certificate=certificate_state(issued, today),
        certificate_expires=certificate_expires(issued) if issued else None,
    )


@router.get("/volunteer")
async def volunteer_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    profile: rc.VolunteerProfile | None
    try:
        profile = await volunteers.profile(gateway, principal)
    except NotFound:
        profile = None
    member = await accounts.my_details(gateway, principal)
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
    times, rows = day_time_rows(form, "slot", "slot_rows")
    slots.extend(AvailabilitySlot(weekday=d, start=start, end=end) for d, start, end in times)
    return list(dict.fromkeys(slots)), [r for r in rows if any(r)]


def submitted_languages(form: FormData, known: set[str]) -> list[str]:
    """Codes from the named list (or ones the profile already had); anything else is refused."""
    chosen = list(dict.fromkeys(str(v) for v in form.getlist("languages")))
    if any(code not in SPOKEN_LANGUAGES and code not in known for code in chosen):
        raise Invalid("unknown language", details={"field": "languages"})
    if not chosen:
        raise Invalid("no language", details={"field": "languages"})
    return chosen


def submitted_return_day(form: FormData) -> date | None:
    """The day a pause ends, when the form pauses the profile and names one."""
    value = text(form, "paused_until")
    if not value or form.get("active") == "on":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid("not a date", details={"field": "paused_until"}) from exc


@router.post("/volunteer")
async def volunteer_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    current: rc.VolunteerProfile | None
    try:
        current = await volunteers.profile(gateway, principal)
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
        offer = rc.VolunteerOffer(
            categories=[Category(str(c)) for c in form.getlist("categories")],
            availability=slots,
            flexible=form.get("flexible") == "on",
            radius_km=radius,
            languages=languages,
            max_open=max_open,
            active=form.get("active") == "on",
            paused_until=submitted_return_day(form),
        )
        await volunteers.offer_help(
            gateway,
            principal,
            offer,
            matching_consent=form.get("consent_matching") == "on",
            on_file=current,
        )
    except (ValueError, SamenError) as exc:
        errors = form_errors(exc)
        if "slot_rows" in errors:
            errors["slot_rows"] = N_("Choose a day and both times, with the end after the start.")
        if "languages" in errors:
            errors["languages"] = (
                N_("Choose at least one language.")
                if not chosen
                else N_("Choose languages from the list.")
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
    found = await volunteers.proposals(gateway, principal)
    return render(request, "proposals.html.j2", principal, proposals=found)


@router.post("/proposals/{proposal_id}/{answer}")
async def proposal_submit(
    proposal_id: IdPath, answer: str, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    if answer not in ("accept", "decline"):
        raise NotFound("No such answer.")
    view = await volunteers.answer_proposal(
        gateway, proposal_id, volunteer_id=principal.member_id, accept=answer == "accept"
    )
    if answer == "accept":  # the next step: whom, when, where and how to reach them
        return redirect(f"/requests/{quote(view.request_id)}?done=accepted")
    return redirect("/proposals?done=declined")


async def link_page_of(
    request: Request,
    principal: Principal | None,
    gateway: Gateway,
    token: str,
    *,
    closed: bool = False,
) -> Response:
    """The page of a link: its question and button while the proposal is open, otherwise
    what became of it (the answer given, taken by someone else, or over)."""
    viewer_id = principal.member_id if principal is not None else None
    shown = await volunteers.link_view(gateway, token, viewer_id=viewer_id, closed=closed)
    return render(
        request,
        "link.html.j2",
        principal,
        status_code=409 if closed else 200,
        link=shown.link,
        token=token,
        proposal=shown.proposal,
        answer=shown.answer,
        open=shown.open,
        job=shown.job,
        closed=closed,
    )


@router.get("/p/{token}")
async def link_page(
    token: LinkTokenPath, request: Request, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    """The accept/decline link from a message: looking does not answer (mail scanners open
    links); the button on this page does."""
    return await link_page_of(request, principal, gateway, token)


@router.post("/p/{token}")
async def link_submit(
    token: LinkTokenPath, request: Request, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    try:
        link, _ = await volunteers.answer_by_link(gateway, token)
    except Conflict:  # answered otherwise, taken by someone else, or over: the page says which
        return await link_page_of(request, principal, gateway, token, closed=True)
    signed_in = principal is not None and principal.member_id == link.volunteer_id
    if link.action == "accept" and signed_in:
        return redirect(f"/requests/{quote(link.request_id)}?done=accepted")
    # Whoever holds the link answered: the next step (whom, when, where, how to reach them),
    # or that the decline is noted.
    job = None
    if link.action == "accept":
        job = await requests.matched_job(gateway, link.request_id, link.volunteer_id)
    return render(request, "link_done.html.j2", principal, answer=link.action, job=job)
