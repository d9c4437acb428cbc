"""How the pages look for this reader: the "larger text" switch."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.routes.web.accounts import safe_next
from services.gateway.routes.web.forms import checked_form, redirect, text
from services.gateway.web import TEXT_SIZE_COOKIE, TEXT_SIZES

router = APIRouter(include_in_schema=False)


@router.post("/display/text-size")
async def text_size(request: Request, principal: MaybeMember, gateway: GatewayDep) -> Response:
    """The "larger text" switch: a cookie the pages read, so the choice survives reloads and
    needs no script; back to the page it was chosen on."""
    form = await checked_form(request, principal)
    size = text(form, "size")
    response = redirect(safe_next(text(form, "next")))
    if size in TEXT_SIZES:
        response.set_cookie(
            TEXT_SIZE_COOKIE,
            size,
            max_age=365 * 86400,
            samesite="lax",
            path="/",
            httponly=True,
            secure=gateway.cookie_secure,
        )
    return response
