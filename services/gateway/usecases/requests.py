"""Help requests as their requester, their volunteer or a coordinator sees them: asking,
reading, cancelling, completing, feedback; and the notice board's open requests."""

from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.schemas import (
    CoordinatorContact,
    FeedbackBody,
    Helper,
    RequestBody,
    RequestOut,
)
from services.gateway.usecases.areas import check_in_areas, coordinator_areas
from services.gateway.usecases.audit import audit
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import Forbidden, Invalid, NotFound, SamenError


async def ask_for_help(
    gateway: Gateway,
    principal: Principal,
    body: RequestBody,
    *,
    requester_id: str | None = None,
    area_codes: list[str] | None = None,
    neighbourhood: str | None = None,
    idempotency_key: str | None = None,
) -> mc.RequestView:
    on_behalf = requester_id is not None and requester_id != principal.member_id
    try:
        command = mc.RequestCreate(
            requester_id=requester_id or principal.member_id,
            category=body.category,
            description=body.description,
            needed_from=body.needed_from,
            needed_until=body.needed_until,
            flexible=body.needed_from is None or body.needed_until is None,
            urgent=body.urgent,
            languages=body.languages,
            entered_by=principal.member_id if on_behalf else None,
            area_codes=area_codes or [],
            neighbourhood=neighbourhood if on_behalf else None,
            idempotency_key=idempotency_key,
        )
    except ValueError as exc:
        raise Invalid(str(exc).splitlines()[-1] if str(exc) else "invalid request") from exc
    # A member registered a moment ago may not have reached matching's copy yet: matching
    # then asks the registry once itself, so the gateway asks matching once.
    return await gateway.rpc.call(mc.REQUEST_CREATE, command)


async def visible_request(
    gateway: Gateway, principal: Principal, request_id: str
) -> tuple[mc.RequestView, bool]:
    """A request the member may see; (view, seen as coordinator). Coordinator views of
    someone else's request are written to the audit log."""
    try:
        view = await gateway.rpc.call(
            mc.REQUEST_GET, mc.RequestQuery(request_id=request_id, actor_id=principal.member_id)
        )
        involved = principal.member_id in (
            view.requester_id,
            view.matched_volunteer_id,
            view.entered_by,
        ) or any(p.volunteer_id == principal.member_id for p in view.proposals)
        if involved:
            return view, False
    except Forbidden:
        if not principal.has("coordinator", "admin"):
            raise
    if not principal.has("coordinator", "admin"):
        raise NotFound("No such request.")
    areas = await coordinator_areas(gateway, principal)
    view = await gateway.rpc.call(
        mc.REQUEST_GET,
        mc.RequestQuery(request_id=request_id, actor_id=principal.member_id, area_codes=areas),
    )
    await check_in_areas(areas, view)
    await audit(gateway, principal, "request.view", [view.request_id], area=view.neighbourhood)
    return view, True


async def my_requests(gateway: Gateway, principal: Principal) -> list[mc.RequestSummary]:
    """The requests I asked (or entered for someone), newest first."""
    mine = await gateway.rpc.call(
        mc.REQUEST_LIST_MINE, mc.MyRequestsQuery(member_id=principal.member_id)
    )
    return list(mine.requests)


def may_cancel(view: mc.RequestView, member_id: str) -> bool:
    """Who asked (or entered it for them) may cancel a request until it is over."""
    return member_id in (view.requester_id, view.entered_by) and view.state not in (mc.FINAL_STATES)


async def cancel(gateway: Gateway, principal: Principal, request_id: str) -> mc.RequestView:
    """No help needed any more."""
    return await gateway.rpc.call(
        mc.REQUEST_CANCEL, mc.RequestCancel(request_id=request_id, actor_id=principal.member_id)
    )


async def complete(
    gateway: Gateway,
    principal: Principal,
    request_id: str,
    *,
    hours: float | None,
    score: int | None,
    comment: str | None,
) -> mc.RequestView:
    """The help was given (said by the requester or the volunteer), with the hours it took and
    how it went."""
    return await gateway.rpc.call(
        mc.REQUEST_COMPLETE,
        mc.RequestComplete(
            request_id=request_id,
            actor_id=principal.member_id,
            hours=hours,
            score=score,
            comment=comment,
        ),
    )


async def request_out(
    gateway: Gateway, view: mc.RequestView, *, viewer: Principal, as_coordinator: bool = False
) -> RequestOut:
    return await request_out_for(
        gateway, view, viewer_id=viewer.member_id, as_coordinator=as_coordinator
    )


async def request_out_for(
    gateway: Gateway, view: mc.RequestView, *, viewer_id: str, as_coordinator: bool = False
) -> RequestOut:
    """The request as `viewer_id` may see it (also for a volunteer answering by link, whom
    the signed link names)."""
    helper = None
    if view.matched_volunteer_id and (
        viewer_id in (view.requester_id, view.entered_by) or as_coordinator
    ):
        helper = await helper_of(gateway, view.matched_volunteer_id)
    asker = None
    if view.matched_volunteer_id == viewer_id and view.state in ("matched", "done"):
        asker = await helper_of(gateway, view.requester_id)
    return RequestOut(
        id=view.request_id,
        state=view.state,
        category=view.category,
        description=view.description,
        requester=asker,
        needed_from=view.needed_from,
        needed_until=view.needed_until,
        flexible=view.flexible,
        urgent=view.urgent,
        neighbourhood=view.neighbourhood,
        created_at=view.created_at,
        matched_at=view.matched_at,
        helper=helper,
        requester_id=view.requester_id if as_coordinator else None,
        escalation_reason=view.escalation_reason,
        my_side=side_of(view, viewer_id),
        feedback_from=[f.side for f in view.feedback],
        feedback=view.feedback if as_coordinator else [],
    )


def side_of(view: mc.RequestView, member_id: str) -> mc.FeedbackSide | None:
    if member_id in (view.requester_id, view.entered_by):
        return "requester"
    if member_id == view.matched_volunteer_id:
        return "volunteer"
    return None


async def give_feedback(
    gateway: Gateway, principal: Principal, request_id: str, body: FeedbackBody
) -> RequestOut:
    """How it went, from the requester or the volunteer, once each, once the help is done."""
    view = await gateway.rpc.call(
        mc.REQUEST_FEEDBACK,
        mc.RequestFeedback(
            request_id=request_id,
            actor_id=principal.member_id,
            score=body.score,
            comment=body.comment.strip() if body.comment and body.comment.strip() else None,
        ),
    )
    return await request_out(gateway, view, viewer=principal)


async def matched_job(gateway: Gateway, request_id: str, volunteer_id: str) -> RequestOut | None:
    """The request a volunteer took, with whom they help and how to reach them (the contact
    the requester agreed to share); None when it is not theirs (any more)."""
    try:
        view = await gateway.rpc.call(
            mc.REQUEST_GET, mc.RequestQuery(request_id=request_id, actor_id=volunteer_id)
        )
    except SamenError:
        return None
    if view.matched_volunteer_id != volunteer_id or view.state not in ("matched", "done"):
        return None
    return await request_out_for(gateway, view, viewer_id=volunteer_id)


async def helper_of(gateway: Gateway, volunteer_id: str) -> Helper | None:
    try:
        contact = await gateway.rpc.call(rc.MEMBER_CONTACT, rc.MemberRef(member_id=volunteer_id))
    except SamenError:
        return None
    phone = contact.phone if contact.share_phone_with_match else None
    email = contact.email if contact.share_email_with_match else None
    via = None
    if not phone and not contact.email and contact.via_coordinator_id:
        # Without e-mail, and their phone not shared: through the coordinator who registered
        # them, as the volunteer's e-mail said (never a message page there is not).
        try:
            coordinator = await gateway.rpc.call(
                rc.MEMBER_CONTACT, rc.MemberRef(member_id=contact.via_coordinator_id)
            )
        except SamenError:
            coordinator = None
        if coordinator is not None:
            via = CoordinatorContact(
                name=coordinator.name, phone=coordinator.phone, email=coordinator.email
            )
    return Helper(first_name=contact.first_name, phone=phone, email=email, via_coordinator=via)


def summary_out(summary: mc.RequestSummary, *, as_coordinator: bool = False) -> RequestOut:
    return RequestOut(
        id=summary.request_id,
        state=summary.state,
        category=summary.category,
        needed_from=summary.needed_from,
        needed_until=summary.needed_until,
        flexible=summary.flexible,
        urgent=summary.urgent,
        neighbourhood=summary.neighbourhood,
        created_at=summary.created_at,
        requester_id=summary.requester_id if as_coordinator else None,
        escalation_reason=summary.escalation_reason,
    )


async def notice_board(gateway: Gateway, area_code: str) -> mc.NoticeBoard:
    """The open requests of an area for the sheet a living room pins up: categories and days,
    never names."""
    return await gateway.rpc.call(mc.NOTICE_BOARD, mc.NoticeBoardQuery(area_code=area_code))
