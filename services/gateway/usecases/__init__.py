"""What the API and the web pages do, once: each function is one use case of the gateway.

Routes (JSON and HTML alike) only translate HTTP into these calls.
"""

import asyncio
import math
from datetime import timedelta

from services.gateway.adapters.store import Account, normalise_email
from services.gateway.bootstrap import Gateway
from services.gateway.errors import TooManyAttempts
from services.gateway.principal import Principal
from services.gateway.schemas import (
    CoordinatorContact,
    FeedbackBody,
    Helper,
    LoginBody,
    RegisterBody,
    RequestBody,
    RequestOut,
)
from services.gateway.security import hash_password, new_token, token_hash, verify_password
from services.gateway.throttle import LoginKeys, LoginPolicy
from shared.areas import AreaRef
from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.errors import Conflict, Forbidden, Invalid, NotFound, SamenError
from shared.logging import get_logger
from shared.texts import N_

log = get_logger(__name__)

# ------------------------------------------------------------------ accounts


async def limit(gateway: Gateway, bucket: str, *, limit: int, window_minutes: int) -> None:
    """Count one attempt; refuse when the window already holds `limit` attempts."""
    hits = await gateway.store.hit(bucket, window=timedelta(minutes=window_minutes))
    if hits > limit:
        raise TooManyAttempts(
            "Too many attempts. Wait a while and try again.", retry_after=window_minutes * 60
        )


REGISTRATION_RECEIVED = (
    "Thank you. We have sent an e-mail to this address. "
    "Log in with your e-mail address and password."
)
ACCOUNT_NOTICE_TIMEOUT_SECONDS = 2.0


async def register(
    gateway: Gateway,
    body: RegisterBody,
    *,
    client: str,
    consents: dict[str, bool] | None = None,
) -> Account | None:
    """Make an account; None when the address has one already.

    Whoever registers gets the same answer either way (REGISTRATION_RECEIVED), so nobody
    learns from it whether an address has an account: the new member gets the welcome e-mail,
    an owner of the address a notice that someone tried (notify sends it, `account.notice`).
    """
    options = gateway.options
    await limit(
        gateway,
        f"register:{client}",
        limit=options.register_attempts,
        window_minutes=options.register_window_minutes,
    )
    email = normalise_email(body.email)
    known = await gateway.store.account_by_email(email)
    # Hashed whether or not the address is taken: both answers cost the same time.
    password_hash = await hash_password(body.password)
    roles: list[str] = ["resident", "volunteer"] if body.volunteer else ["resident"]
    given = dict(consents or {})
    given.setdefault("share_phone", body.share_phone)
    given.setdefault("matching", body.matching)
    try:
        # The registry checks every field before it refuses an address it knows, so a taken
        # address with a bad postcode gets the same 422 as a new one.
        member = await gateway.rpc.call(
            rc.MEMBER_REGISTER,
            rc.MemberRegister(
                name=body.name,
                email=email,
                phone=body.phone or None,
                postcode=body.postcode,
                house_number=body.house_number,
                language=body.language,
                roles=roles,
                consents=given,
            ),
        )
    except Conflict:
        await tell_owner(gateway, email, known)
        return None
    if known is not None:  # the registry had lost the address of a log-in: keep the log-in
        log.warning("registry did not know a log-in's e-mail address", member_id=member.member_id)
        await tell_owner(gateway, email, known)
        return None
    try:
        return await gateway.store.create_account(
            member_id=member.member_id,
            email=email,
            password_hash=password_hash,
            roles=list(member.roles),
            language=member.language,
        )
    except Conflict:  # the same address registered twice at the same moment
        await tell_owner(gateway, email, await gateway.store.account_by_email(email))
        return None


async def tell_owner(gateway: Gateway, email: str, account: Account | None) -> None:
    """Someone tried to register the owner's address: notify tells the owner. The answer to
    the attempt never fails with this, and waits on it for two seconds at most."""
    try:
        if account is not None:
            member_id = account.member_id
        else:  # registered at an information point, without a log-in of their own
            member = await gateway.rpc.call(rc.MEMBER_FIND_BY_EMAIL, rc.MemberByEmail(email=email))
            member_id = member.member_id
        async with asyncio.timeout(ACCOUNT_NOTICE_TIMEOUT_SECONDS):
            await gateway.rpc.call(
                nc.ACCOUNT_NOTICE,
                nc.AccountNotice(member_id=member_id, kind="registration_attempt"),
            )
    except (SamenError, TimeoutError) as exc:
        log.warning("registration attempt notice not sent", code=getattr(exc, "code", "timeout"))


def login_policy(gateway: Gateway) -> LoginPolicy:
    options = gateway.options
    return LoginPolicy(
        attempts=options.login_attempts,
        backoff=timedelta(seconds=options.login_backoff_seconds),
        cap=timedelta(seconds=options.login_backoff_max_seconds),
        memory=timedelta(minutes=options.login_window_minutes),
    )


async def authenticate(gateway: Gateway, body: LoginBody, *, client: str) -> Account:
    """Check the password; failed tries slow the next try of the same e-mail address from the
    same client down (services.gateway.throttle), and never lock anyone else out."""
    policy = login_policy(gateway)
    email = normalise_email(body.email)
    keys = LoginKeys.of(gateway.secret_keys.current, email=email, client=client)
    now = gateway.clock.now()
    wait = await gateway.store.claim_login_try(
        keys,
        lambda pair, address, by_client: policy.wait(
            pair=pair, address=address, client=by_client, now=now
        ),
        lambda failures: policy.after_failure(failures, now),
    )
    if wait is not None:
        raise TooManyAttempts(
            "Too many failed attempts. Wait a moment and try again.",
            retry_after=max(1, math.ceil(wait.total_seconds())),
        )
    account = await gateway.store.account_by_email(email)
    ok = await verify_password(account.password_hash if account else None, body.password)
    if account is None or not ok:
        raise NotSignedInError("The e-mail address or password is not right.")
    await gateway.store.forget_login_failure(keys)
    return await refresh_roles(gateway, account)


async def open_session(gateway: Gateway, account: Account, *, kind: str) -> tuple[str, str]:
    """A new session; returns (token, CSRF secret)."""
    token, csrf_secret = new_token(), new_token()
    await gateway.store.create_session(
        account_id=account.account_id,
        token_hash=token_hash(token),
        kind=kind,
        csrf_secret=csrf_secret,
        lifetime=timedelta(days=gateway.options.session_days),
    )
    return token, csrf_secret


class NotSignedInError(SamenError):
    code = "unauthorized"
    http_status = 401


async def refresh_roles(gateway: Gateway, account: Account) -> Account:
    """The registry owns roles; take its word at each sign-in (keep ours if it is away)."""
    try:
        member = await gateway.rpc.call(
            rc.MEMBER_GET, rc.MemberQuery(member_id=account.member_id, actor_id=account.member_id)
        )
    except SamenError:
        return account
    roles: list[str] = list(member.roles)
    if roles != account.roles or member.language != account.language:
        await gateway.store.update_account(
            account.account_id, roles=roles, language=member.language
        )
        account = Account(
            account.account_id,
            account.member_id,
            account.email,
            account.password_hash,
            roles,
            member.language,
        )
    return account


async def logout(gateway: Gateway, principal: Principal) -> None:
    await gateway.store.end_session(principal.token_hash)


# ------------------------------------------------------------------ coordinators


async def coordinator_areas(gateway: Gateway, principal: Principal) -> list[str]:
    """The CBS codes of the areas of the cooperatives this coordinator works for."""
    if not principal.has("coordinator", "admin"):
        raise Forbidden("Only coordinators see the requests of an area.")
    mine = None if principal.has("admin") else principal.member_id
    found = await gateway.rpc.call(rc.COOPERATIVE_LIST, rc.CooperativeQuery(coordinator_id=mine))
    codes = sorted({code for coop in found.cooperatives for code in coop.area_codes})
    if not codes:
        raise Forbidden("You do not coordinate any cooperative yet.")
    return codes


def in_areas(area_codes: list[str], code: str | None) -> bool:
    if not code:
        return False
    return any(AreaRef.from_code(area).contains(code) for area in area_codes)


async def check_in_areas(area_codes: list[str], view: mc.RequestView) -> None:
    if not in_areas(area_codes, view.neighbourhood or view.district or view.municipality):
        raise Forbidden("This request lies outside the areas of your cooperative.")


# ------------------------------------------------------------------ answering by link

ANSWERED_ALREADY = {
    "accept": N_("You said yes to this request already."),
    "decline": N_("You declined this request already."),
}


async def answer_by_link(
    gateway: Gateway,
    token: str,
    *,
    proposal_id: str | None = None,
    action: nc.LinkAction | None = None,
) -> tuple[nc.ProposalLink, mc.ProposalView]:
    """Answer a proposal with the signed link from its message, in the order that keeps the
    link usable until its answer is in: look at the link (spends nothing), check that it is
    for this proposal and this answer, have matching answer, and only then spend the link.
    Matching and notify both take the same answer again as the same success, so a use whose
    outcome is unknown (a timeout, a 503) is simply repeated."""
    link = await gateway.rpc.call(nc.TOKEN_VERIFY, nc.TokenRequest(token=token))
    if (proposal_id is not None and link.proposal_id != proposal_id) or (
        action is not None and link.action != action
    ):
        raise Forbidden("This link is for another proposal or answer.")
    if link.answer is not None and link.answer != link.action:
        raise Conflict(ANSWERED_ALREADY[link.answer], details={"reason": "answered"})
    view = await answer_proposal(
        gateway, link.proposal_id, volunteer_id=link.volunteer_id, accept=link.action == "accept"
    )
    return await gateway.rpc.call(nc.TOKEN_REDEEM, nc.TokenRequest(token=token)), view


async def answer_proposal(
    gateway: Gateway, proposal_id: str, *, volunteer_id: str, accept: bool
) -> mc.ProposalView:
    """Accept or decline a proposal as its volunteer; NotFound for anyone else."""
    try:
        return await gateway.rpc.call(
            mc.PROPOSAL_ACCEPT if accept else mc.PROPOSAL_DECLINE,
            mc.ProposalAnswer(proposal_id=proposal_id, volunteer_id=volunteer_id),
        )
    except Forbidden as exc:  # the volunteer is no longer who the proposal was made to
        raise NotFound("No such proposal for you.") from exc


# ------------------------------------------------------------------ requests


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
    await gateway.store.audit(
        actor_id=principal.member_id,
        action="request.view",
        subject_type="request",
        subject_ids=[view.request_id],
        area=view.neighbourhood,
    )
    return view, True


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


async def coordinator_match(
    gateway: Gateway, principal: Principal, request_id: str, volunteer_id: str
) -> mc.RequestView:
    areas = await coordinator_areas(gateway, principal)
    view = await gateway.rpc.call(
        mc.REQUEST_GET,
        mc.RequestQuery(request_id=request_id, actor_id=principal.member_id, area_codes=areas),
    )
    await check_in_areas(areas, view)
    return await gateway.rpc.call(
        mc.COORDINATOR_MATCH,
        mc.CoordinatorMatch(
            coordinator_id=principal.member_id,
            area_codes=areas,
            request_id=request_id,
            volunteer_id=volunteer_id,
        ),
    )
