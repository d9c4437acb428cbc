"""The coordinator's tasks page: messages to pass on to residents without e-mail."""

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway import passing_on
from services.gateway.deps import GatewayDep
from services.gateway.routes.params import IdPath
from services.gateway.routes.web.forms import Member, checked_form, redirect
from services.gateway.usecases import coordinators
from services.gateway.web import language_of, render

router = APIRouter(include_in_schema=False)


@router.get("/board/tasks")
async def tasks_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    """Whom to call and what to tell them; a letter to print; a tick once it is done."""
    found = await coordinators.open_tasks(gateway, principal)
    language = language_of(request, principal)
    tasks = [passing_on.task_out(t, language, gateway.settings.time_zone) for t in found]
    return render(request, "board_tasks.html.j2", principal, tasks=tasks)


@router.post("/board/tasks/{task_id}/done")
async def task_done(
    task_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    await coordinators.tick_done(gateway, principal, task_id)
    return redirect("/board/tasks?done=passed_on")


@router.get("/board/tasks/{task_id}/letter.pdf")
async def task_letter(task_id: IdPath, principal: Member, gateway: GatewayDep) -> Response:
    pdf = await coordinators.letter(gateway, principal, task_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="brief-{quote(task_id)}.pdf"'},
    )
