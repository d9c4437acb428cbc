"""A member's account: registering, logging in and out, their details, the links that set a
password (reset, invitation) and confirm a new e-mail address, the log-ins of members
registered or imported by someone else, and where their messages go."""

import asyncio
import math
from datetime import timedelta
from typing import Any

from services.gateway.account_links import (
    LinkUsed,
    OpenLink,
    account_signer,
    email_signer,
    keyed_bucket,
    open_link,
    token_of,
)
from services.gateway.adapters.store import Account, LinkSpent, normalise_email
from services.gateway.bootstrap import Gateway
from services.gateway.errors import TooManyAttempts
from services.gateway.principal import Principal
from services.gateway.schemas import (
    AppriseAddress,
    LoginBody,
    NewPassword,
    NotificationsOut,
    NotificationsPatch,
    RegisterBody,
    TestMessageOut,
)
from services.gateway.security import hash_password, new_token, token_hash, verify_password
from services.gateway.throttle import LoginKeys, LoginPolicy
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.errors import Conflict, Forbidden, Invalid, NotFound, SamenError
from shared.logging import get_logger

log = get_logger(__name__)


# ------------------------------------------------------------------ rate limits


async def limit(gateway: Gateway, bucket: str, *, limit: int, window_minutes: int) -> None:
    """Count one attempt; refuse when the window already holds `limit` attempts."""
    hits = await gateway.store.hit(bucket, window=timedelta(minutes=window_minutes))
    if hits > limit:
        raise TooManyAttempts(
            "Too many attempts. Wait a while and try again.", retry_after=window_minutes * 60
        )


# ------------------------------------------------------------------ registering

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


# ------------------------------------------------------------------ logging in and out


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


# ------------------------------------------------------------------ my details


async def my_details(gateway: Gateway, principal: Principal) -> rc.MemberInfo:
    """My details as the registry holds them."""
    return await gateway.rpc.call(
        rc.MEMBER_GET, rc.MemberQuery(member_id=principal.member_id, actor_id=principal.member_id)
    )


async def change_my_details(
    gateway: Gateway, principal: Principal, changes: dict[str, Any]
) -> rc.MemberInfo:
    """Change only the fields given (`rc.MemberUpdate`'s: name, phone, language, consents...);
    the log-in keeps the member's language, which the e-mails and the pages are in."""
    member = await gateway.rpc.call(
        rc.MEMBER_UPDATE,
        rc.MemberUpdate(member_id=principal.member_id, actor_id=principal.member_id, **changes),
    )
    if member.language != principal.account.language:
        await gateway.store.update_account(principal.account.account_id, language=member.language)
    return member


# ------------------------------------------------------------------ setting a password by link

RESET_REQUESTED = (
    "If this address is known to us, you will get an e-mail with a link to set a new password."
)

PASSWORD_RESET, INVITATION = "password_reset", "invitation"


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
    token = account_signer(gateway).dumps(
        {"j": link.link_id, "e": int(link.expires_at.timestamp())}
    )
    url = gateway.settings.public_url.rstrip("/") + nc.ACCOUNT_LINK_PATH.format(token=token)
    kind: nc.AccountNoticeKind = "invitation" if purpose == INVITATION else "password_reset"
    try:
        async with asyncio.timeout(ACCOUNT_NOTICE_TIMEOUT_SECONDS):
            await gateway.rpc.call(
                nc.ACCOUNT_NOTICE,
                nc.AccountNotice(
                    member_id=account.member_id, kind=kind, link=url, expires_at=link.expires_at
                ),
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
        keyed_bucket(gateway, "reset-client", client),
        limit=options.reset_attempts,
        window_minutes=options.reset_window_minutes,
    )
    await limit(
        gateway,
        keyed_bucket(gateway, "reset-address", address),
        limit=options.reset_address_attempts,
        window_minutes=options.reset_window_minutes,
    )
    account = await gateway.store.account_by_email(address)
    if account is None:
        return
    await send_account_link(gateway, account, PASSWORD_RESET)


async def open_account_link(gateway: Gateway, token: str) -> OpenLink:
    """The link behind a token, if it can still be used; LinkRefused says plainly why not."""
    return await open_link(gateway, account_signer(gateway), token)


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


# ------------------------------------------------------------------ invitations


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
        found = await gateway.rpc.call(rc.MEMBER_INVITATIONS_DUE, rc.InvitationsQuery(limit=batch))
        due = found.invitations
        for invitation in due:
            if await gateway.store.account_by_member(invitation.member_id) is None:
                await invite(gateway, invitation, invitation.email)
            await gateway.rpc.call(
                rc.MEMBER_INVITATION_DONE, rc.MemberRef(member_id=invitation.member_id)
            )
            handled += 1
        if len(due) < batch:
            return handled


# ------------------------------------------------------------------ changing the e-mail address

EMAIL_CHANGE = "email_change"

EMAIL_CHANGE_SENT = (
    "We have sent a link to the new address. Your address changes once you open that link."
)

SAME_EMAIL = "This is your e-mail address already."


async def _registry_knows(gateway: Gateway, email: str) -> bool:
    try:
        await gateway.rpc.call(rc.MEMBER_FIND_BY_EMAIL, rc.MemberByEmail(email=email))
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
        keyed_bucket(gateway, "email-change", principal.member_id),
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
    token = token_of(email_signer(gateway), link)
    url = gateway.settings.public_url.rstrip("/") + nc.EMAIL_LINK_PATH.format(token=token)
    try:
        async with asyncio.timeout(ACCOUNT_NOTICE_TIMEOUT_SECONDS):
            await gateway.rpc.call(
                nc.ACCOUNT_NOTICE,
                nc.AccountNotice(
                    member_id=principal.member_id,
                    kind="email_change",
                    link=url,
                    expires_at=link.expires_at,
                    email=address,
                ),
            )
    except (SamenError, TimeoutError) as exc:
        log.warning("e-mail change link not sent", code=getattr(exc, "code", "timeout"))


async def open_email_link(gateway: Gateway, token: str) -> OpenLink:
    """The e-mail change behind a token, if it can still be used (LinkRefused says why not)."""
    return await open_link(
        gateway,
        email_signer(gateway),
        token,
        lambda link: link.purpose == EMAIL_CHANGE and bool(link.new_email),
    )


async def confirm_email_change(gateway: Gateway, token: str) -> str:
    """Make the confirmed address the member's (registry and log-in), spend the link, and
    tell the old address. Returns the new address."""
    opened = await open_email_link(gateway, token)
    account, new_email = opened.account, opened.link.new_email
    assert new_email is not None
    await gateway.rpc.call(
        rc.MEMBER_UPDATE,
        rc.MemberUpdate(member_id=account.member_id, actor_id=account.member_id, email=new_email),
    )
    try:
        await gateway.store.change_email_by_link(opened.link.link_id)
    except LinkSpent as exc:
        raise LinkUsed() from exc
    try:
        async with asyncio.timeout(ACCOUNT_NOTICE_TIMEOUT_SECONDS):
            await gateway.rpc.call(
                nc.ACCOUNT_NOTICE,
                nc.AccountNotice(
                    member_id=account.member_id, kind="email_changed", email=account.email
                ),
            )
    except (SamenError, TimeoutError) as exc:
        log.warning("e-mail changed notice not sent", code=getattr(exc, "code", "timeout"))
    return new_email


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
    prefs = await gateway.rpc.call(
        nc.PREFERENCES_GET, nc.MemberQuery(member_id=principal.member_id)
    )
    return notifications_out(principal, prefs)


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
        prefs = await gateway.rpc.call(nc.PREFERENCES_SET, update)
    except Invalid as exc:
        refusal = apprise_refusal(exc)
        if refusal is exc:
            raise
        raise refusal from exc
    return notifications_out(principal, prefs)


def apprise_refusal(exc: Invalid) -> Invalid:
    """Notify's refusal of an Apprise address, in the words a page shows under `apprise_add`
    (any other refusal as it was)."""
    reason = (exc.details or {}).get("reason")
    if reason not in APPRISE_REFUSED:
        return exc
    return Invalid(
        APPRISE_REFUSED[reason],
        details={"errors": [{"field": "apprise_add", "message": APPRISE_REFUSED[reason]}]},
    )


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
    queued = await gateway.rpc.call(nc.TEST_MESSAGE, nc.ChannelCheck(member_id=principal.member_id))
    return TestMessageOut(detail=TEST_MESSAGE_SENT, channels=list(queued.channels))
