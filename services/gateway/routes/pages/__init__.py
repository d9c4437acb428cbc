"""The web pages (HTML), a router per part of the product; each handler calls the same use
cases as the JSON API."""

from fastapi import APIRouter

from services.gateway.routes.pages import (
    accounts,
    asking,
    board,
    display,
    imports,
    inbox,
    links,
    me,
    organisations,
    reports,
    volunteering,
)
from services.gateway.routes.pages.forms import SignInFirst

router = APIRouter(include_in_schema=False)
for part in (
    accounts,
    asking,
    volunteering,
    inbox,
    board,
    imports,
    organisations,
    reports,
    me,
    links,
    display,
):
    router.include_router(part.router)

__all__ = ["SignInFirst", "router"]
