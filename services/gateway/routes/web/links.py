"""Paths that messages from notify point to."""

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from services.gateway.routes.params import IdPath
from services.gateway.routes.web.forms import redirect

router = APIRouter(include_in_schema=False)


@router.get("/coordinator/board")
async def coordinator_board_link() -> Response:
    return redirect("/board")


@router.get("/proposals/{proposal_id}")
async def proposal_link(proposal_id: IdPath) -> Response:
    return redirect(f"/proposals#p-{quote(proposal_id)}")
