"""The web pages (HTML), a router per part of the product; each handler calls the same use
cases as the JSON API."""

from fastapi import APIRouter, Depends

from services.gateway.deps import get_area_names
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

# Every page may name areas (`area_name` in the templates): their names are kept fresh first.
router = APIRouter(include_in_schema=False, dependencies=[Depends(get_area_names)])
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
