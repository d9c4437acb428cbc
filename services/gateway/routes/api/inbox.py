"""The in-app inbox (held by notify) and live updates over server-sent events."""

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.gateway.deps import CurrentMember, GatewayDep
from services.gateway.openapi_links import MARK_INBOX_ITEM_READ, links_from
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.routes.params import IdPath
from services.gateway.schemas import InboxItemOut, InboxOut, Language
from services.gateway.usecases.inbox import listener_for, mark_message_read, messages

router = APIRouter(tags=["inbox"], responses=PROBLEM_RESPONSES)

HEARTBEAT_SECONDS = 15


@router.get(
    "/inbox",
    response_model=InboxOut,
    responses=links_from(200, "/items/0/id", "item_id", (MARK_INBOX_ITEM_READ,)),
)
async def inbox(
    principal: CurrentMember,
    gateway: GatewayDep,
    lang: Annotated[
        Language | None,
        Query(description="each message in this language; unset: in my own"),
    ] = None,
) -> InboxOut:
    """My messages, newest first."""
    page = await messages(gateway, principal, lang)
    return InboxOut(
        unread=page.unread,
        items=[
            InboxItemOut(
                id=item.item_id,
                subject=item.subject,
                body=item.body,
                link=item.link,
                created_at=item.created_at,
                read=item.read_at is not None,
            )
            for item in page.items
        ],
    )


@router.post(
    "/inbox/{item_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id=MARK_INBOX_ITEM_READ,
)
async def mark_read(item_id: IdPath, principal: CurrentMember, gateway: GatewayDep) -> Response:
    """Mark one message read."""
    await mark_message_read(gateway, principal, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def events(request: Request, principal: CurrentMember, gateway: GatewayDep) -> Response:
    """Server-sent events for me: `request` (my requests' state), `proposal`, `inbox`, and for
    coordinators `board`. Each carries ids and states only; a comment line every 15 s."""
    listener = await listener_for(gateway, principal)

    gateway.hub.listen(listener)  # before "ready": nothing after it is missed

    async def stream() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(data=json.dumps({"member_id": principal.member_id}), event="ready")
        async for message in gateway.hub.stream(listener):
            if await request.is_disconnected():
                break
            yield ServerSentEvent(data=message.encode(), event=message.event)

    return EventSourceResponse(stream(), ping=HEARTBEAT_SECONDS)
