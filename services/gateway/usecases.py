"""What the API and the web pages do, once: each function is one use case of the gateway.

Routes (JSON and HTML alike) only translate HTTP into these calls.
"""

import asyncio
import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from services.gateway.adapters.store import Account, AccountLink, LinkSpent, normalise_email
from services.gateway.bootstrap import Gateway
from services.gateway.deps import Principal
from services.gateway.problems import TooManyAttempts
from services.gateway.schemas import (
    AppriseAddress,
    FeedbackBody,
    Helper,
    LoginBody,
    NewPassword,
    NotificationsOut,
    NotificationsPatch,
    OnBehalfMember,
    RegisterBody,
    RequestBody,
    RequestOut,
    TestMessageOut,
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

NEW_MEMBER_WAIT_SECONDS = 5.0


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
        member = await gateway.registry.register(
            rc.MemberRegister(
                name=body.name,
                email=email,
                phone=body.phone or None,
                postcode=body.postcode,
                house_number=body.house_number,
                language=body.language,
                roles=roles,
                consents=given,
            )
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
            member_id = (await gateway.registry.member_by_email(email)).member_id
        async with asyncio.timeout(ACCOUNT_NOTICE_TIMEOUT_SECONDS):
            await gateway.notify.account_notice(member_id, "registration_attempt")
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


# ------------------------------------------------------------------ setting a password by link

RESET_REQUESTED = (
    "If this address is known to us, you will get an e-mail with a link to set a new password."
)
ACCOUNT_LINK_SALT = "samen.account-link"
PASSWORD_RESET, INVITATION = "password_reset", "invitation"


LINK_USED = N_("This link has been used already. Ask for a new one if you need it.")
LINK_EXPIRED = N_("This link has expired. Ask for a new one.")
LINK_BAD = N_("This link is not valid. Ask for a new one.")


class LinkRefused(SamenError):
    """A link to set a password that is not (or no longer) valid: 410, problem code says why."""

    code = "link_invalid"
    http_status = 410

    def __init__(self, message: str = LINK_BAD) -> None:
        super().__init__(message)


class LinkUsed(LinkRefused):
    code = "link_used"

    def __init__(self) -> None:
        super().__init__(LINK_USED)


class LinkExpired(LinkRefused):
    code = "link_expired"

    def __init__(self) -> None:
        super().__init__(LINK_EXPIRED)


def _signer(gateway: Gateway) -> URLSafeSerializer:
    """Signs with the current key; links signed before a key change still verify."""
    return URLSafeSerializer(gateway.secret_keys.verifying(), salt=ACCOUNT_LINK_SALT)


def _keyed(gateway: Gateway, kind: str, value: str) -> str:
    """A rate-limit bucket that names no e-mail address (the table is not a list of them)."""
    digest = hmac.new(gateway.secret_keys.current.encode(), value.encode(), hashlib.sha256)
    return f"{kind}:{digest.hexdigest()}"


async def send_account_link(gateway: Gateway, account: Account, purpose: str) -> None:
    """Open a single-use link for the account and have notify e-mail it to the member.

    The token is signed (SAMEN_SECRET_KEY, salt samen.account-link) around the link's id and
    expiry; the database holds the id, never the token. It travels to notify only in the
    `account.notice` request/reply, never in an event."""
    options = gateway.options
    lifetime = (
        timedelta(days=options.invitation_link_days)
        if purpose == INVITATION
        else timedelta(minutes=options.reset_link_minutes)
    )
    link = await gateway.store.open_link(
        account_id=account.account_id, purpose=purpose, lifetime=lifetime
    )
    token = _signer(gateway).dumps({"j": link.link_id, "e": int(link.expires_at.timestamp())})
    url = gateway.settings.public_url.rstrip("/") + nc.ACCOUNT_LINK_PATH.format(token=token)
    kind: nc.AccountNoticeKind = "invitation" if purpose == INVITATION else "password_reset"
    try:
        async with asyncio.timeout(ACCOUNT_NOTICE_TIMEOUT_SECONDS):
            await gateway.notify.account_notice(
                account.member_id, kind, link=url, expires_at=link.expires_at
            )
    except (SamenError, TimeoutError) as exc:
        log.warning("account link not sent", kind=kind, code=getattr(exc, "code", "timeout"))


async def request_password_reset(gateway: Gateway, email: str, *, client: str) -> None:
    """Send a reset link if the address has an account. The caller answers RESET_REQUESTED
    whatever happened here, so nobody learns whether an address is known; only the limits
    (per client and per address, known or not) refuse."""
    options = gateway.options
    address = normalise_email(email)
    await limit(
        gateway,
        _keyed(gateway, "reset-client", client),
        limit=options.reset_attempts,
        window_minutes=options.reset_window_minutes,
    )
    await limit(
        gateway,
        _keyed(gateway, "reset-address", address),
        limit=options.reset_address_attempts,
        window_minutes=options.reset_window_minutes,
    )
    account = await gateway.store.account_by_email(address)
    if account is None:
        return
    await send_account_link(gateway, account, PASSWORD_RESET)


@dataclass(frozen=True)
class OpenLink:
    link: AccountLink
    account: Account


async def open_account_link(gateway: Gateway, token: str) -> OpenLink:
    """The link behind a token, if it can still be used; LinkRefused says plainly why not."""
    try:
        claim = _signer(gateway).loads(token)
        link_id, expires = str(claim["j"]), int(claim["e"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkRefused() from exc
    link = await gateway.store.link(link_id)
    account = await gateway.store.account(link.account_id) if link is not None else None
    if link is None or account is None:
        raise LinkRefused()
    if link.used_at is not None:
        raise LinkUsed()
    now = gateway.clock.now()
    if now >= link.expires_at or now >= datetime.fromtimestamp(expires, UTC):
        raise LinkExpired()
    return OpenLink(link, account)


async def set_password_by_link(gateway: Gateway, token: str, body: NewPassword) -> Account:
    """Set the password (argon2id, as registration does), end every session of the member
    and spend the link (and any other open link of theirs)."""
    opened = await open_account_link(gateway, token)
    password_hash = await hash_password(body.password)
    try:
        await gateway.store.set_password_by_link(opened.link.link_id, password_hash)
    except LinkSpent as exc:  # used by another request a moment ago
        raise LinkUsed() from exc
    return opened.account


# ------------------------------------------------------------------ changing the e-mail address

EMAIL_LINK_SALT = "samen.email-link"
EMAIL_CHANGE = "email_change"
EMAIL_CHANGE_SENT = (
    "We have sent a link to the new address. Your address changes once you open that link."
)
SAME_EMAIL = "This is your e-mail address already."


def _email_signer(gateway: Gateway) -> URLSafeSerializer:
    """As account links, with a salt of its own: no reset link confirms an address, and no
    confirmation link sets a password."""
    return URLSafeSerializer(gateway.secret_keys.verifying(), salt=EMAIL_LINK_SALT)


async def _registry_knows(gateway: Gateway, email: str) -> bool:
    try:
        await gateway.registry.member_by_email(email)
    except NotFound:
        return False
    return True


async def request_email_change(gateway: Gateway, principal: Principal, email: str) -> None:
    """Send a single-use, expiring link to the new address; the address changes only when
    that link is opened (`confirm_email_change`). The caller answers EMAIL_CHANGE_SENT
    whatever happened, so nobody learns whether an address has an account: an address in use
    gets the notice that someone tried to use it instead."""
    options = gateway.options
    await limit(
        gateway,
        _keyed(gateway, "email-change", principal.member_id),
        limit=options.reset_address_attempts,
        window_minutes=options.reset_window_minutes,
    )
    address = normalise_email(email)
    if address == normalise_email(principal.account.email):
        raise Invalid(SAME_EMAIL, details={"errors": [{"field": "email", "message": SAME_EMAIL}]})
    known = await gateway.store.account_by_email(address)
    if known is not None or await _registry_knows(gateway, address):
        await tell_owner(gateway, address, known)
        return
    link = await gateway.store.open_link(
        account_id=principal.account.account_id,
        purpose=EMAIL_CHANGE,
        lifetime=timedelta(hours=options.email_link_hours),
        new_email=address,
    )
    token = _email_signer(gateway).dumps({"j": link.link_id, "e": int(link.expires_at.timestamp())})
    url = gateway.settings.public_url.rstrip("/") + nc.EMAIL_LINK_PATH.format(token=token)
    try:
        async with asyncio.timeout(ACCOUNT_NOTICE_TIMEOUT_SECONDS):
            await gateway.notify.account_notice(
                principal.member_id,
                "email_change",
                link=url,
                expires_at=link.expires_at,
                email=address,
            )
    except (SamenError, TimeoutError) as exc:
        log.warning("e-mail change link not sent", code=getattr(exc, "code", "timeout"))


async def open_email_link(gateway: Gateway, token: str) -> OpenLink:
    """The e-mail change behind a token, if it can still be used (LinkRefused says why not)."""
    try:
        claim = _email_signer(gateway).loads(token)
        link_id, expires = str(claim["j"]), int(claim["e"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkRefused() from exc
    link = await gateway.store.link(link_id)
    account = await gateway.store.account(link.account_id) if link is not None else None
    if link is None or account is None or link.purpose != EMAIL_CHANGE or not link.new_email:
        raise LinkRefused()
    if link.used_at is not None:
        raise LinkUsed()
    now = gateway.clock.now()
    if now >= link.expires_at or now >= datetime.fromtimestamp(expires, UTC):
        raise LinkExpired()
    return OpenLink(link, account)


async def confirm_email_change(gateway: Gateway, token: str) -> str:
    """Make the confirmed address the member's (registry and log-in), spend the link, and
    tell the old address. Returns the new address."""
    opened = await open_email_link(gateway, token)
    account, new_email = opened.account, opened.link.new_email
    assert new_email is not None
    await gateway.registry.update_member(
        rc.MemberUpdate(member_id=account.member_id, actor_id=account.member_id, email=new_email)
    )
    try:
        await gateway.store.change_email_by_link(opened.link.link_id)
    except LinkSpent as exc:
        raise LinkUsed() from exc
    try:
        async with asyncio.timeout(ACCOUNT_NOTICE_TIMEOUT_SECONDS):
            await gateway.notify.account_notice(
                account.member_id, "email_changed", email=account.email
            )
    except (SamenError, TimeoutError) as exc:
        log.warning("e-mail changed notice not sent", code=getattr(exc, "code", "timeout"))
    return new_email


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
    link = await gateway.notify.verify_link(token)
    if (proposal_id is not None and link.proposal_id != proposal_id) or (
        action is not None and link.action != action
    ):
        raise Forbidden("This link is for another proposal or answer.")
    if link.answer is not None and link.answer != link.action:
        raise Conflict(ANSWERED_ALREADY[link.answer], details={"reason": "answered"})
    try:
        view = await gateway.matching.answer(
            link.proposal_id, volunteer_id=link.volunteer_id, accept=link.action == "accept"
        )
    except Forbidden as exc:  # the volunteer is no longer who the proposal was made to
        raise NotFound("No such proposal for you.") from exc
    return await gateway.notify.redeem_link(token), view


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
    view = await gateway.matching.feedback(
        mc.RequestFeedback(
            request_id=request_id,
            actor_id=principal.member_id,
            score=body.score,
            comment=body.comment.strip() if body.comment and body.comment.strip() else None,
        )
    )
    return await request_out(gateway, view, viewer=principal)


async def matched_job(gateway: Gateway, request_id: str, volunteer_id: str) -> RequestOut | None:
    """The request a volunteer took, with whom they help and how to reach them (the contact
    the requester agreed to share); None when it is not theirs (any more)."""
    try:
        view = await gateway.matching.get(request_id, actor_id=volunteer_id)
    except SamenError:
        return None
    if view.matched_volunteer_id != volunteer_id or view.state not in ("matched", "done"):
        return None
    return await request_out_for(gateway, view, viewer_id=volunteer_id)


async def helper_of(gateway: Gateway, volunteer_id: str) -> Helper | None:
    try:
        contact = await gateway.registry.contact(volunteer_id)
    except SamenError:
        return None
    return Helper(
        first_name=contact.first_name,
        phone=contact.phone if contact.share_phone_with_match else None,
        email=contact.email if contact.share_email_with_match else None,
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


# ------------------------------------------------------------------ notification preferences

TEST_MESSAGE_SENT = "A test message is on its way. It also shows in your inbox on this site."
DEFAULT_DIGEST_TIME = "08:00"


def notifications_out(principal: Principal, prefs: nc.Preferences) -> NotificationsOut:
    """The preferences as a member may see them: the Apprise URLs (secrets) masked."""
    return NotificationsOut(
        channels=list(prefs.channels),
        apprise=[
            AppriseAddress(
                id=nc.apprise_id(url),
                scheme=url.split("://", 1)[0][:16],
                masked=nc.masked_apprise(url)[:500],
            )
            for url in prefs.apprise_urls
        ],
        quiet_start=prefs.quiet_start,
        quiet_end=prefs.quiet_end,
        language=prefs.language,
        digest="daily" if prefs.daily_digest else "immediate",
        digest_time=prefs.digest_time or DEFAULT_DIGEST_TIME,
        may_choose_digest=principal.has("coordinator", "admin"),
    )


async def notification_preferences(gateway: Gateway, principal: Principal) -> NotificationsOut:
    return notifications_out(principal, await gateway.notify.preferences(principal.member_id))


async def change_notification_preferences(
    gateway: Gateway, principal: Principal, patch: NotificationsPatch
) -> NotificationsOut:
    """Change only what is given (a channel nobody names stays); notify checks the Apprise
    URLs (apprise itself, and the schemes the operator allows)."""
    changes = patch.model_dump(exclude_unset=True)
    digest = changes.pop("digest", None)
    if (digest is not None or "digest_time" in changes) and not principal.has(
        "coordinator", "admin"
    ):
        raise Forbidden("Only coordinators choose a daily digest.")
    update = nc.PreferencesUpdate(
        member_id=principal.member_id,
        daily_digest=None if digest is None else digest == "daily",
        **{key: value for key, value in changes.items() if value is not None},
    )
    try:
        prefs = await gateway.notify.set_preferences(update)
    except Invalid as exc:
        reason = (exc.details or {}).get("reason")
        if reason not in APPRISE_REFUSED:
            raise
        raise Invalid(
            APPRISE_REFUSED[reason],
            details={"errors": [{"field": "apprise_add", "message": APPRISE_REFUSED[reason]}]},
        ) from exc
    return notifications_out(principal, prefs)


APPRISE_REFUSED = {
    "scheme_not_allowed": "This kind of address cannot be used here. "
    "Ask your coordinator which ones work.",
    "unusable": "This address does not work. Check it and try again.",
}


async def send_test_message(gateway: Gateway, principal: Principal) -> TestMessageOut:
    """A test message over the member's own channels, through notify's real delivery; a few
    per hour (SAMEN_TEST_MESSAGE_ATTEMPTS), so nobody makes the service spam a number."""
    options = gateway.options
    await limit(
        gateway,
        f"test-message:{principal.member_id}",
        limit=options.test_message_attempts,
        window_minutes=options.test_message_window_minutes,
    )
    queued = await gateway.notify.test_message(principal.member_id)
    return TestMessageOut(detail=TEST_MESSAGE_SENT, channels=list(queued.channels))


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
    """The information point registers a resident (who may have no e-mail) of its own area.
    A resident with an e-mail address gets a log-in without a password and an invitation to
    set one (the same single-use link as a reset, working longer)."""
    areas = await coordinator_areas(gateway, principal)
    place = await gateway.registry.lookup(body.postcode)
    if not in_areas(areas, place.neighbourhood.code):
        raise Forbidden("This address lies outside the areas of your cooperative.")
    member = await gateway.registry.register(
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
    if body.email:
        await invite(gateway, member, body.email)
    return member


async def invite(gateway: Gateway, member: rc.MemberInfo | rc.InvitationDue, email: str) -> None:
    """A log-in for a member registered by someone else: no password (none verifies) until
    the member sets one through the invitation's link. At most once: a member (or address)
    with a log-in gets none."""
    try:
        account = await gateway.store.create_account(
            member_id=member.member_id,
            email=email,
            password_hash="",  # verify_password never accepts an empty hash
            roles=list(member.roles),
            language=member.language,
        )
    except Conflict:  # the address has a log-in already: its owner can reset the password
        log.warning("invited member's address has a log-in", member_id=member.member_id)
        return
    await send_account_link(gateway, account, INVITATION)


async def invite_imported(gateway: Gateway, *, batch: int = 100) -> int:
    """Invite the members an import brought in with an e-mail address (`samen members
    import`), as the information point's registrations are: a log-in without a password
    and the invitation's link, through notify. The registry keeps who is still to be
    invited, so none is missed while the gateway is down and none is invited twice: the
    log-in is made before the registry hears it is done, and a member with one gets no
    second invitation. Returns how many were handled."""
    handled = 0
    while True:
        due = await gateway.registry.invitations_due(batch)
        for invitation in due:
            if await gateway.store.account_by_member(invitation.member_id) is None:
                await invite(gateway, invitation, invitation.email)
            await gateway.registry.invitation_done(invitation.member_id)
            handled += 1
        if len(due) < batch:
            return handled


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
