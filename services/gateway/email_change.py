"""A new e-mail address counts once its mailbox confirms it by link; the old one is told."""

import asyncio
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from services.gateway.account_links import LinkExpired, LinkRefused, LinkUsed, OpenLink, _keyed
from services.gateway.adapters.store import LinkSpent, normalise_email
from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.usecases import ACCOUNT_NOTICE_TIMEOUT_SECONDS, limit, tell_owner
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.errors import Invalid, NotFound, SamenError
from shared.logging import get_logger

log = get_logger(__name__)


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
