"""The information point's lists: a coordinator uploads a CSV of members and follows it."""

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.gateway.deps import GatewayDep
from services.gateway.routes.params import IdPath
from services.gateway.routes.web.forms import (
    Member,
    checked_form,
    form_errors,
    redirect,
)
from services.gateway.schemas import MemberImportOut
from services.gateway.usecases import coordinators
from services.gateway.usecases.areas import coordinator_areas
from services.gateway.web import render
from shared.errors import Invalid, SamenError

router = APIRouter(include_in_schema=False)

FOLLOW_EVERY_SECONDS = 2  # how often a page of an import still running redraws itself


@router.get("/board/members/import")
async def import_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    await coordinator_areas(gateway, principal)
    return render(request, "member_import.html.j2", principal, errors={})


@router.post("/board/members/import")
async def import_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("no file", details={"field": "file", "reason": "no_file"})
        view = await coordinators.upload_members(
            gateway, principal, await upload.read(), upload.filename
        )
    except SamenError as exc:
        return render(
            request,
            "member_import.html.j2",
            principal,
            errors=form_errors(exc),
            status_code=exc.http_status,
        )
    return redirect(f"/board/members/import/{quote(view.import_id)}")


@router.get("/board/members/import/{import_id}")
async def import_status_page(
    import_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    view = MemberImportOut.of(await coordinators.member_import(gateway, principal, import_id))
    running = view.state not in ("done", "failed")
    return render(
        request,
        "member_import_status.html.j2",
        principal,
        job=view,
        follow_seconds=FOLLOW_EVERY_SECONDS if running else None,
    )
