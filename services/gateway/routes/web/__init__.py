"""The web pages (HTML), a router per part of the product; each handler calls the same use
cases as the JSON API."""

from fastapi import APIRouter

from services.gateway.routes.web import (
    accounts,
    admin,
    asking,
    board,
    display,
    imports,
    inbox,
    links,
    me,
    organisations,
    reports,
    tasks,
    volunteering,
)
from services.gateway.routes.web.forms import SignInFirst

router = APIRouter(include_in_schema=False)
# The tasks before the board: /board/tasks is not a request's /board/{request_id}.
for part in (
    accounts,
    asking,
    volunteering,
    inbox,
    tasks,
    board,
    imports,
    organisations,
    reports,
    me,
    links,
    display,
    admin,
):
    router.include_router(part.router)

__all__ = ["SignInFirst", "router"]
