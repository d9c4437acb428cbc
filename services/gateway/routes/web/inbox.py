"""The inbox and the social map."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.gateway import inbox_view
from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.i18n import message_language
from services.gateway.routes.params import IdPath
from services.gateway.routes.web.forms import Member, checked_form, redirect
from services.gateway.usecases import inbox, social_map
from services.gateway.web import language_of, render
from shared.categories import Category
from shared.contracts import registry as rc

router = APIRouter(include_in_schema=False)


@router.get("/inbox")
async def inbox_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    # The messages in the page's language (Dutch on a page in a language notify does not write).
    language = message_language(language_of(request, principal))
    page = await inbox.messages(gateway, principal, language)
    messages = {i.item_id: inbox_view.message(i.body, i.template, i.link) for i in page.items}
    return render(request, "inbox.html.j2", principal, page=page, messages=messages)


@router.post("/inbox/{item_id}/read")
async def inbox_read(
    item_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    await inbox.mark_message_read(gateway, principal, item_id)
    return redirect("/inbox")


@router.get("/map")
async def map_page(
    request: Request,
    principal: MaybeMember,
    gateway: GatewayDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    area: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    chosen = category if category in {c.value for c in Category} else None
    area_code = area if area and area[:2] in ("GM", "WK", "BU") and area[2:].isdigit() else None
    results = await social_map.search(
        gateway,
        rc.DirectorySearch(
            q=q or None,
            category=Category(chosen) if chosen else None,
            area_code=area_code,
        ),
    )
    return render(
        request,
        "map.html.j2",
        principal,
        keeps_map=await social_map.keeps_map(gateway, principal),
        results=results,
        q=q or "",
        chosen=chosen or "",
        area=area_code or "",
        districts=gateway.areas.latest.districts(),
    )
