"""Links that set a password (reset, invitation): signed, single use, expiring."""

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from services.gateway.adapters.store import Account, AccountLink, LinkSpent, normalise_email
from services.gateway.bootstrap import Gateway
from services.gateway.schemas import (
    NewPassword,
)
from services.gateway.security import hash_password
from services.gateway.usecases import ACCOUNT_NOTICE_TIMEOUT_SECONDS, limit
from shared.contracts import notify as nc
from shared.errors import SamenError
from shared.logging import get_logger
from shared.texts import N_

log = get_logger(__name__)


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
