"""The coordinator's tasks: messages to pass on to residents without e-mail, by phone or by
a printed letter, ticked done once passed on."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway import passing_on
from services.gateway.deps import Coordinator, GatewayDep
from services.gateway.passing_on import TaskOut
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.routes.params import IdPath
from services.gateway.usecases import coordinators
from services.gateway.web import language_of

router = APIRouter(prefix="/coordinator/tasks", tags=["coordinator"], responses=PROBLEM_RESPONSES)

PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the letter, A4, large type"}
}


@router.get("", response_model=list[TaskOut])
async def tasks(request: Request, principal: Coordinator, gateway: GatewayDep) -> list[TaskOut]:
    """My open tasks, oldest first: for each resident without e-mail, whom to call, what to
    tell them and how they reach the other side of the help. Each one is in the audit log."""
    found = await coordinators.open_tasks(gateway, principal)
    language = language_of(request, principal)
    return [passing_on.task_out(t, language, gateway.settings.time_zone) for t in found]


@router.post("/{task_id}/done", response_model=TaskOut)
async def done(
    task_id: IdPath, request: Request, principal: Coordinator, gateway: GatewayDep
) -> TaskOut:
    """Tick a task done: who and when are kept (the first tick counts) and audited."""
    task = await coordinators.tick_done(gateway, principal, task_id)
    return passing_on.task_out(task, language_of(request, principal), gateway.settings.time_zone)


@router.get("/{task_id}/letter.pdf", response_class=Response, responses=PDF)
async def letter(task_id: IdPath, principal: Coordinator, gateway: GatewayDep) -> Response:
    """The task as a letter to print and hand over or post: plain Dutch, large type, the
    cooperative's name and how to reach me; no numbers of the system."""
    pdf = await coordinators.letter(gateway, principal, task_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="brief.pdf"'},
    )
