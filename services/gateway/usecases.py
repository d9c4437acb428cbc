"""What the API and the web pages do, once: each function is one use case of the gateway.

Routes (JSON and HTML alike) only translate HTTP into these calls.
"""

import asyncio
from datetime import timedelta

from services.gateway.adapters.store import Account, normalise_email
from services.gateway.bootstrap import Gateway
from services.gateway.deps import Principal
from services.gateway.problems import TooManyAttempts
from services.gateway.schemas import (
    Helper,
    LoginBody,
    OnBehalfMember,
    RegisterBody,
    RequestBody,
    RequestOut,
)
from services.gateway.security import hash_password, new_token, token_hash, verify_password
from shared.areas import AreaRef
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import Conflict, Forbidden, Invalid, NotFound, SamenError
from shared.logging import get_logger

log = get_logger(__name__)

NEW_MEMBER_WAIT_SECONDS = 5.0


# ------------------------------------------------------------------ accounts


async def limit(gateway: Gateway, bucket: str, *, limit: int, window_minutes: int) -> None:
    """Count one attempt; refuse when the window already holds `limit` attempts."""
    hits = await gateway.store.hit(bucket, window=timedelta(minutes=window_minutes))
    if hits > limit:
        raise TooManyAttempts(
            "Too many attempts. Wait a while and try again.", retry_after=window_minutes * 60
        )


async def register(
    gateway: Gateway,
    body: RegisterBody,
    *,
    client: str,
    consents: dict[str, bool] | None = None,
) -> tuple[rc.MemberInfo, Account]:
    options = gateway.options
    await limit(
        gateway,
        f"register:{client}",
        limit=options.register_attempts,
        window_minutes=options.register_window_minutes,
    )
    if await gateway.store.account_by_email(body.email) is not None:
        raise Conflict(
            "An account with this e-mail address already exists.", details={"field": "email"}
        )
    roles: list[str] = ["resident", "volunteer"] if body.volunteer else ["resident"]
    given = dict(consents or {})
    given.setdefault("share_phone", body.share_phone)
    member = await gateway.registry.register(
        rc.MemberRegister(
            name=body.name,
            email=normalise_email(body.email),
            phone=body.phone or None,
            postcode=body.postcode,
            house_number=body.house_number,
            language=body.language,
            roles=roles,
            consents=given,
        )
    )
    account = await gateway.store.create_account(
        member_id=member.member_id,
        email=body.email,
        password_hash=await hash_password(body.password),
        roles=list(member.roles),
        language=member.language,
    )
    return member, account


async def authenticate(gateway: Gateway, body: LoginBody, *, client: str) -> Account:
    """Check the password, with a limit on failed attempts per address and per client."""
    options = gateway.options
    window = timedelta(minutes=options.login_window_minutes)
    email = normalise_email(body.email)
    buckets = (f"login:{email}", f"login-client:{client}")
    limits = (options.login_attempts, options.login_attempts * 4)
    for bucket, allowed in zip(buckets, limits, strict=True):
        if await gateway.store.hits(bucket, window=window) >= allowed:
            raise TooManyAttempts(
                "Too many failed attempts. Wait a while and try again.",
                retry_after=int(window.total_seconds()),
            )
    account = await gateway.store.account_by_email(email)
    ok = await verify_password(account.password_hash if account else None, body.password)
    if account is None or not ok:
        for bucket in buckets:
            await gateway.store.hit(bucket, window=window)
        raise NotSignedInError("The e-mail address or password is not right.")
    await gateway.store.reset(buckets[0])
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
        member = await gateway.registry.member(account.member_id, actor_id=account.member_id)
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
    if principal.has("admin"):
        cooperatives = await gateway.registry.cooperatives()
    else:
        cooperatives = await gateway.registry.cooperatives(coordinator_id=principal.member_id)
    codes = sorted({code for coop in cooperatives for code in coop.area_codes})
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
    # Matching learns of a new member from the registry's events, a moment after they
    # registered; someone who registers and asks at once waits that moment here.
    delay, waited = 0.1, 0.0
    while True:
        try:
            return await gateway.matching.create(command)
        except NotFound:
            if waited >= NEW_MEMBER_WAIT_SECONDS:
                raise
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 1.0)


async def visible_request(
    gateway: Gateway, principal: Principal, request_id: str
) -> tuple[mc.RequestView, bool]:
    """A request the member may see; (view, seen as coordinator). Coordinator views of
    someone else's request are written to the audit log."""
    try:
        view = await gateway.matching.get(request_id, actor_id=principal.member_id)
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
    view = await gateway.matching.get(request_id, actor_id=principal.member_id, area_codes=areas)
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
    helper = None
    if view.matched_volunteer_id and (
        viewer.member_id in (view.requester_id, view.entered_by) or as_coordinator
    ):
        helper = await helper_of(gateway, view.matched_volunteer_id)
    asker = None
    if view.matched_volunteer_id == viewer.member_id and view.state in ("matched", "done"):
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
    )


async def helper_of(gateway: Gateway, volunteer_id: str) -> Helper | None:
    try:
        contact = await gateway.registry.contact(volunteer_id)
    except SamenError:
        return None
    return Helper(
        first_name=contact.first_name,
        phone=contact.phone if contact.share_phone_with_match else None,
    )


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
    view = await gateway.matching.get(request_id, actor_id=principal.member_id, area_codes=areas)
    await check_in_areas(areas, view)
    return await gateway.matching.match(
        coordinator_id=principal.member_id,
        area_codes=areas,
        request_id=request_id,
        volunteer_id=volunteer_id,
    )


# ------------------------------------------------------------------ privacy


async def export(gateway: Gateway, principal: Principal) -> dict[str, object]:
    member_id = principal.member_id
    registry = await gateway.registry.export(member_id)
    matching = await gateway.matching.export(member_id)
    notify = await gateway.notify.export(member_id)
    # Who looked at my details or my requests (coordinators, from the audit log).
    looked_at = [member_id, *(r.request_id for r in matching.requests)]
    audit = await gateway.store.audit_entries(subject_ids=looked_at, limit=1000)
    return {
        "member_id": member_id,
        "gateway": {
            "account": {
                "email": principal.account.email,
                "roles": principal.account.roles,
                "language": principal.account.language,
            },
            "coordinator_views": [
                {"at": a.at.isoformat(), "action": a.action, "subject": a.subject_id} for a in audit
            ],
        },
        "registry": registry,
        "matching": matching.model_dump(mode="json"),
        "notify": notify.model_dump(mode="json"),
    }


async def erase(gateway: Gateway, principal: Principal) -> None:
    """Forget the member everywhere: notify confirms first, then the registry erases (which
    announces member.erased to every service), and the account goes last."""
    member_id = principal.member_id
    try:
        await gateway.notify.confirm_erasure(member_id)
    except SamenError as exc:
        log.warning("erasure confirmation not queued", code=exc.code)
    await gateway.registry.erase(member_id)
    await gateway.store.delete_account(principal.account.account_id)


async def register_on_behalf(
    gateway: Gateway, principal: Principal, body: OnBehalfMember
) -> rc.MemberInfo:
    """The information point registers a resident (who may have no e-mail) of its own area."""
    areas = await coordinator_areas(gateway, principal)
    place = await gateway.registry.lookup(body.postcode)
    if not in_areas(areas, place.neighbourhood.code):
        raise Forbidden("This address lies outside the areas of your cooperative.")
    return await gateway.registry.register(
        rc.MemberRegister(
            name=body.name,
            email=body.email,
            phone=body.phone,
            postcode=body.postcode,
            house_number=body.house_number,
            language=body.language,
            roles=["resident"],
            consents={"matching": True},
            registered_by=principal.member_id,
            actor_id=principal.member_id,
        )
    )


async def ask_on_behalf(
    gateway: Gateway,
    principal: Principal,
    body: RequestBody,
    requester_id: str,
    *,
    idempotency_key: str | None = None,
) -> mc.RequestView:
    areas = await coordinator_areas(gateway, principal)
    member = await gateway.registry.member(requester_id, actor_id=principal.member_id)
    if not in_areas(areas, member.neighbourhood):
        raise Forbidden("This resident lives outside the areas of your cooperative.")
    await gateway.store.audit(
        actor_id=principal.member_id,
        action="member.view",
        subject_type="member",
        subject_ids=[member.member_id],
        area=member.neighbourhood,
    )
    # The registry knows where they live now; matching may not have heard of them yet.
    return await ask_for_help(
        gateway,
        principal,
        body,
        requester_id=requester_id,
        area_codes=areas,
        neighbourhood=member.neighbourhood,
        idempotency_key=idempotency_key,
    )
