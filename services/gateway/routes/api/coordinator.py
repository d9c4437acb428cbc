"""The coordinator's area: board, manual match, registering people and requests for them.

A coordinator sees only the areas of their own cooperatives; every look at someone's personal
data goes to the audit log.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.gateway.deps import Coordinator, GatewayDep
from services.gateway.openapi_links import (
    COORDINATOR_FOLLOW_UPS,
    MATCH_REQUEST,
    REQUEST_CANDIDATES,
    links_from,
)
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.routes.params import IdempotencyKeyHeader, IdPath
from services.gateway.schemas import (
    AreaVolunteerOut,
    AuditOut,
    BoardOut,
    CertificateBody,
    CoordinatorCancelBody,
    CoordinatorCloseBody,
    CoordinatorMatchBody,
    MemberImportOut,
    OnBehalfMember,
    OnBehalfRequest,
    Registered,
    RequestCreated,
    RequestOut,
)
from services.gateway.usecases import coordinators, requests
from shared.clock import to_local
from shared.contracts import matching as mc

router = APIRouter(prefix="/coordinator", tags=["coordinator"], responses=PROBLEM_RESPONSES)


@router.get(
    "/requests",
    response_model=BoardOut,
    responses=links_from(200, "/requests/0/id", "request_id", COORDINATOR_FOLLOW_UPS),
)
async def board(
    principal: Coordinator,
    gateway: GatewayDep,
    state: Annotated[list[mc.RequestState] | None, Query()] = None,
) -> BoardOut:
    """Requests in my cooperatives' areas (escalated first), optionally of some states."""
    areas, found = await coordinators.board(gateway, principal, list(state) if state else None)
    return BoardOut(
        area_codes=areas,
        counts=dict(found.counts),
        requests=[
            requests.summary_out(summary, as_coordinator=True)
            for summary in coordinators.board_rows(found, areas)
        ],
    )


@router.get(
    "/requests/{request_id}/candidates",
    response_model=mc.CandidateList,
    operation_id=REQUEST_CANDIDATES,
)
async def candidates(
    request_id: IdPath, principal: Coordinator, gateway: GatewayDep
) -> mc.CandidateList:
    """Volunteers who could help with this request, nearest first."""
    return await coordinators.candidates(gateway, principal, request_id)


@router.post("/requests/{request_id}/match", response_model=RequestOut, operation_id=MATCH_REQUEST)
async def match(
    request_id: IdPath, body: CoordinatorMatchBody, principal: Coordinator, gateway: GatewayDep
) -> RequestOut:
    """Match a request of my area to a volunteer by hand."""
    view = await coordinators.coordinator_match(gateway, principal, request_id, body.volunteer_id)
    return await requests.request_out(gateway, view, viewer=principal, as_coordinator=True)


@router.post("/requests/{request_id}/reassign", response_model=RequestOut)
async def reassign(
    request_id: IdPath, body: CoordinatorMatchBody, principal: Coordinator, gateway: GatewayDep
) -> RequestOut:
    """Hand a matched request to another volunteer; the first one is told it is off."""
    view = await coordinators.reassign(gateway, principal, request_id, body.volunteer_id)
    return await requests.request_out(gateway, view, viewer=principal, as_coordinator=True)


@router.post("/requests/{request_id}/cancel", response_model=RequestOut)
async def cancel(
    request_id: IdPath, body: CoordinatorCancelBody, principal: Coordinator, gateway: GatewayDep
) -> RequestOut:
    """Cancel a request on the requester's behalf, with a note for the log."""
    view = await coordinators.cancel(gateway, principal, request_id, body.note)
    return await requests.request_out(gateway, view, viewer=principal, as_coordinator=True)


@router.post("/requests/{request_id}/close", response_model=RequestOut)
async def close(
    request_id: IdPath, body: CoordinatorCloseBody, principal: Coordinator, gateway: GatewayDep
) -> RequestOut:
    """Close a request as done with a note (e.g. help arranged outside Samen)."""
    view = await coordinators.close(gateway, principal, request_id, body.note, body.hours)
    return await requests.request_out(gateway, view, viewer=principal, as_coordinator=True)


@router.get("/audit", response_model=list[AuditOut])
async def audit_log(
    principal: Coordinator,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """Looks at personal data: an admin sees everyone's, a coordinator their own."""
    entries = await coordinators.audit_log(gateway, principal, limit)
    return [AuditOut.model_validate(entry.model_dump()) for entry in entries]


@router.post("/members", status_code=status.HTTP_201_CREATED, response_model=Registered)
async def register_member(
    body: OnBehalfMember, principal: Coordinator, gateway: GatewayDep
) -> Registered:
    """Register a resident at the information point (no e-mail needed: reached through me)."""
    member = await coordinators.register_on_behalf(gateway, principal, body)
    return Registered(
        member_id=member.member_id,
        area={
            "municipality": member.municipality,
            "district": member.district,
            "neighbourhood": member.neighbourhood,
        },
        neighbourhood_name=member.neighbourhood_name,
        roles=member.roles,
    )


@router.post(
    "/requests",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestCreated,
    responses=links_from(201, "/id", "request_id", COORDINATOR_FOLLOW_UPS),
)
async def request_on_behalf(
    body: OnBehalfRequest,
    principal: Coordinator,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> RequestCreated:
    """Ask for help on a resident's behalf (`Idempotency-Key` as for `POST /requests`)."""
    view = await coordinators.ask_on_behalf(
        gateway, principal, body, body.requester_id, idempotency_key=idempotency_key
    )
    return RequestCreated(id=view.request_id, state=view.state)


@router.post(
    "/member-imports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MemberImportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the CSV file itself (columns: docs/registry.md, 'Importing members')",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_members(
    request: Request,
    response: Response,
    principal: Coordinator,
    gateway: GatewayDep,
    file_name: Annotated[str | None, Query(max_length=200)] = None,
) -> MemberImportOut:
    """Upload a CSV of residents and volunteers; it is imported in the background. Follow
    `Location` for its progress and, once done, each rejected row's line and reason."""
    view = await coordinators.upload_members(gateway, principal, await request.body(), file_name)
    response.headers["Location"] = f"/api/v1/coordinator/member-imports/{view.import_id}"
    return MemberImportOut.of(view)


@router.get("/member-imports/{import_id}", response_model=MemberImportOut)
async def member_import(
    import_id: IdPath, principal: Coordinator, gateway: GatewayDep
) -> MemberImportOut:
    """How far an import I uploaded is; its report once it is done."""
    return MemberImportOut.of(await coordinators.member_import(gateway, principal, import_id))


@router.get("/volunteers", response_model=list[AreaVolunteerOut])
async def area_volunteers(principal: Coordinator, gateway: GatewayDep) -> list[AreaVolunteerOut]:
    """The volunteers of my areas and their certificate of conduct (VOG): expired first."""
    today = to_local(gateway.clock.now(), gateway.settings.time_zone).date()
    rows = await coordinators.volunteers(gateway, principal, today)
    return [
        AreaVolunteerOut(
            member_id=r.member.member_id,
            name=r.member.name,
            neighbourhood=r.member.neighbourhood,
            certificate_of_conduct_date=(
                r.profile.certificate_of_conduct_date if r.profile else None
            ),
            certificate_expires=r.expires,
            certificate=r.certificate,
        )
        for r in rows
    ]


@router.put("/volunteers/{member_id}/certificate", status_code=status.HTTP_204_NO_CONTENT)
async def set_certificate(
    member_id: IdPath, body: CertificateBody, principal: Coordinator, gateway: GatewayDep
) -> None:
    """Record the day a volunteer's certificate of conduct (VOG) was issued (null: none)."""
    await coordinators.set_certificate(gateway, principal, member_id, body.date)
