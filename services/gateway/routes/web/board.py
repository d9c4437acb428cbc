"""The coordinator's board and the information point."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.gateway import passing_on
from services.gateway.bootstrap import Gateway
from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.principal import Principal
from services.gateway.routes.params import IdPath
from services.gateway.routes.web.asking import submit_request
from services.gateway.routes.web.forms import (
    Member,
    checked_form,
    form_errors,
    redirect,
    refusal_status,
    text,
)
from services.gateway.schemas import CertificateBody, CoordinatorCloseBody, OnBehalfMember
from services.gateway.security import new_token
from services.gateway.usecases import coordinators, requests
from services.gateway.usecases.areas import coordinator_areas
from services.gateway.web import language_of, render
from shared.categories import Category
from shared.clock import to_local
from shared.contracts.matching import NOTE_MAX
from shared.errors import Invalid, SamenError, Unavailable

router = APIRouter(include_in_schema=False)
CATEGORY_VALUES = {c.value for c in Category}


Choice = Annotated[str | None, Query(max_length=40)]


@router.get("/board")
async def board_page(
    request: Request,
    principal: Member,
    gateway: GatewayDep,
    neighbourhood: Choice = None,
    category: Choice = None,
    state: Choice = None,
    q: Choice = None,
) -> Response:
    areas, board = await coordinators.board(gateway, principal)
    wanted = coordinators.BoardFilter(
        neighbourhood=neighbourhood or None,
        category=category if category in CATEGORY_VALUES else None,
        state=state if state in coordinators.BOARD_STATES else None,
        number=q or None,
    )
    try:
        tasks = [
            passing_on.task_out(task, language_of(request, principal), gateway.settings.time_zone)
            for task in await coordinators.open_tasks(gateway, principal)
        ]
    except Unavailable:  # the board without them rather than no board
        tasks = []
    neighbourhoods = sorted(
        {r.neighbourhood for rows in board.requests.values() for r in rows if r.neighbourhood}
        | ({neighbourhood} if neighbourhood else set())
    )
    return render(
        request,
        "board.html.j2",
        principal,
        areas=areas,
        columns=coordinators.board_columns(board, areas, wanted),
        board=board,
        wanted=wanted,
        neighbourhoods=neighbourhoods,
        states=coordinators.BOARD_STATES,
        tasks=tasks,
    )


@router.get("/board/audit")
async def audit_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    """Every look at someone's personal data: my own, or everyone's for an admin."""
    entries = await coordinators.audit_log(gateway, principal, limit=500)
    return render(request, "board_audit.html.j2", principal, entries=entries)


@router.get("/board/volunteers")
async def volunteers_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    """The volunteers of my areas and their certificate of conduct (VOG)."""
    today = to_local(gateway.clock.now(), gateway.settings.time_zone).date()
    rows = await coordinators.volunteers(gateway, principal, today)
    return render(request, "board_volunteers.html.j2", principal, rows=rows, today=today)


@router.get("/board/{request_id}")
async def board_request(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    shown = await coordinators.board_request(gateway, principal, request_id)
    out = await requests.request_out(gateway, shown.view, viewer=principal, as_coordinator=True)
    return render(
        request,
        "board_request.html.j2",
        principal,
        request_view=out,
        requester=shown.requester,
        reach=passing_on.reach_of(shown.requester) if shown.requester else None,
        candidates=shown.candidates,
        names=shown.names,
    )


@router.post("/board/volunteers/{member_id}/certificate")
async def certificate_submit(
    member_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    try:
        body = CertificateBody(date=text(form, "date") or None)
    except ValidationError as exc:
        raise Invalid("not a date", details={"field": "date", "reason": "bad_date"}) from exc
    await coordinators.set_certificate(gateway, principal, member_id, body.date)
    return redirect(f"/board/volunteers?done=certificate#v-{quote(member_id)}")


@router.post("/board/{request_id}/reassign")
async def board_reassign(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    await coordinators.reassign(gateway, principal, request_id, text(form, "volunteer_id"))
    return redirect(f"/board/{quote(request_id)}?done=reassigned")


async def _ending_page(
    request: Request, principal: Principal, gateway: Gateway, request_id: str, action: str
) -> Response:
    _, view = await coordinators.request_in_my_areas(gateway, principal, request_id)
    return render(
        request,
        "board_end.html.j2",
        principal,
        action=action,
        request_view=view,
        values={},
        errors={},
    )


@router.get("/board/{request_id}/cancel")
async def board_cancel_page(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    """Are you sure? A cancelled request cannot be taken up again."""
    return await _ending_page(request, principal, gateway, request_id, "cancel")


@router.get("/board/{request_id}/close")
async def board_close_page(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    return await _ending_page(request, principal, gateway, request_id, "close")


@router.post("/board/{request_id}/cancel")
async def board_cancel(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    await coordinators.cancel(gateway, principal, request_id, text(form, "note")[:NOTE_MAX])
    return redirect(f"/board/{quote(request_id)}?done=stopped")


@router.post("/board/{request_id}/close")
async def board_close(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    values = {"note": text(form, "note"), "hours": text(form, "hours")}
    try:
        body = CoordinatorCloseBody(
            note=values["note"], hours=values["hours"].replace(",", ".") or None
        )
        await coordinators.close(gateway, principal, request_id, body.note, body.hours)
    except (ValidationError, SamenError) as exc:
        errors = form_errors(exc)
        _, view = await coordinators.request_in_my_areas(gateway, principal, request_id)
        return render(
            request,
            "board_end.html.j2",
            principal,
            status_code=422,
            action="close",
            request_view=view,
            values=values,
            errors=errors,
        )
    return redirect(f"/board/{quote(request_id)}?done=closed")


@router.post("/board/{request_id}/match")
async def board_match(
    request_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    await coordinators.coordinator_match(gateway, principal, request_id, text(form, "volunteer_id"))
    return redirect(f"/board/{quote(request_id)}?done=matched")


@router.get("/board/members/new")
async def new_member_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    await coordinator_areas(gateway, principal)
    return render(request, "new_member.html.j2", principal, values={}, errors={})


@router.post("/board/members/new")
async def new_member_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    values = {k: text(form, k) for k in ("name", "postcode", "house_number", "phone", "email")}
    try:
        body = OnBehalfMember(
            **{k: v for k, v in values.items() if v},
            language=text(form, "language") if text(form, "language") == "en" else "nl",
            share_phone=text(form, "share_phone") == "yes",
        )
        member = await coordinators.register_on_behalf(gateway, principal, body)
    except (ValidationError, SamenError) as exc:
        return render(
            request,
            "new_member.html.j2",
            principal,
            errors=form_errors(exc),
            status_code=refusal_status(exc),
            values=values,
        )
    return redirect(f"/board/ask/{quote(member.member_id)}")


@router.get("/board/ask/{member_id}")
async def ask_on_behalf_page(
    member_id: str, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    requester = await coordinators.resident(gateway, principal, member_id)
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
    requester = await coordinators.resident(gateway, principal, member_id)
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
    board = await requests.notice_board(gateway, code)
    return render(request, "notice_board.html.j2", principal, board=board, area=code)
