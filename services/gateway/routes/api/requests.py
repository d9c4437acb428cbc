"""Help requests of the signed-in member."""

from fastapi import APIRouter, Request, status

from services.gateway.deps import CurrentMember, GatewayDep, api_principal, gateway_of
from services.gateway.openapi_doc import SIGNED_IN
from services.gateway.openapi_links import (
    CANCEL_REQUEST,
    COMPLETE_REQUEST,
    GET_REQUEST,
    GIVE_FEEDBACK,
    OWN_REQUEST_FOLLOW_UPS,
    links_from,
)
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.routes.params import IdempotencyKeyHeader, IdPath
from services.gateway.schemas import (
    CompleteBody,
    FeedbackBody,
    RequestBody,
    RequestCreated,
    RequestOut,
)
from services.gateway.usecases import requests

router = APIRouter(prefix="/requests", tags=["requests"], responses=PROBLEM_RESPONSES)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestCreated,
    responses=links_from(201, "/id", "request_id", OWN_REQUEST_FOLLOW_UPS),
)
async def create(
    body: RequestBody,
    principal: CurrentMember,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> RequestCreated:
    """Ask for help. Without `needed_from` and `needed_until` the request is flexible.

    Send an `Idempotency-Key`: a retry after a timeout or a 503 then answers with the
    request the first attempt made (if it did) instead of asking twice."""
    view = await requests.ask_for_help(gateway, principal, body, idempotency_key=idempotency_key)
    return RequestCreated(id=view.request_id, state=view.state)


@router.get(
    "",
    response_model=list[RequestOut],
    responses=links_from(200, "/0/id", "request_id", OWN_REQUEST_FOLLOW_UPS),
)
async def mine(principal: CurrentMember, gateway: GatewayDep) -> list[RequestOut]:
    """My requests, newest first."""
    return [requests.summary_out(s) for s in await requests.my_requests(gateway, principal)]


@router.get(
    "/{request_id}",
    response_model=RequestOut,
    operation_id=GET_REQUEST,
    openapi_extra={"security": SIGNED_IN},
)
async def get(request_id: IdPath, request: Request) -> RequestOut:
    """One request with its state (and, once matched, who helps)."""
    # The most read route resolves who asks itself: as FastAPI dependencies the same two
    # look-ups cost about a sixth of the request.
    principal = await api_principal(request)
    gateway = gateway_of(request)
    view, as_coordinator = await requests.visible_request(gateway, principal, request_id)
    return await requests.request_out(
        gateway, view, viewer=principal, as_coordinator=as_coordinator
    )


@router.post("/{request_id}/cancel", response_model=RequestOut, operation_id=CANCEL_REQUEST)
async def cancel(request_id: IdPath, principal: CurrentMember, gateway: GatewayDep) -> RequestOut:
    """No help needed any more."""
    view = await requests.cancel(gateway, principal, request_id)
    return await requests.request_out(gateway, view, viewer=principal)


@router.post("/{request_id}/complete", response_model=RequestOut, operation_id=COMPLETE_REQUEST)
async def complete(
    request_id: IdPath,
    principal: CurrentMember,
    gateway: GatewayDep,
    body: CompleteBody | None = None,
) -> RequestOut:
    """The help was given (by the requester or the volunteer), with hours and feedback."""
    body = body or CompleteBody()
    view = await requests.complete(
        gateway,
        principal,
        request_id,
        hours=body.hours,
        score=body.score,
        comment=body.feedback,
    )
    return await requests.request_out(gateway, view, viewer=principal)


@router.post("/{request_id}/feedback", response_model=RequestOut, operation_id=GIVE_FEEDBACK)
async def feedback(
    request_id: IdPath, body: FeedbackBody, principal: CurrentMember, gateway: GatewayDep
) -> RequestOut:
    """How it went, once the help is done (whoever closed it): the requester and the
    volunteer each once (409 `feedback_given` the second time). The score counts in the
    anonymous figures; the comment is read only by the cooperative's coordinators."""
    return await requests.give_feedback(gateway, principal, request_id, body)
