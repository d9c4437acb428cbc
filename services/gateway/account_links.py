"""The signed links of an account (a password reset, an invitation, a new e-mail address):
their signatures, the rate-limit buckets that name no address, and why a link is refused.
The use cases that open, send and spend them are in usecases/accounts.py."""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from services.gateway.adapters.store import Account, AccountLink
from services.gateway.bootstrap import Gateway
from shared.errors import SamenError
from shared.texts import N_

ACCOUNT_LINK_SALT = "samen.account-link"
EMAIL_LINK_SALT = "samen.email-link"

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


@dataclass(frozen=True)
class OpenLink:
    link: AccountLink
    account: Account


def account_signer(gateway: Gateway) -> URLSafeSerializer:
    """Signs with the current key; links signed before a key change still verify."""
    return URLSafeSerializer(gateway.secret_keys.verifying(), salt=ACCOUNT_LINK_SALT)


def email_signer(gateway: Gateway) -> URLSafeSerializer:
    """As account links, with a salt of its own: no reset link confirms an address, and no
    confirmation link sets a password."""
    return URLSafeSerializer(gateway.secret_keys.verifying(), salt=EMAIL_LINK_SALT)


def keyed_bucket(gateway: Gateway, kind: str, value: str) -> str:
    """A rate-limit bucket that names no e-mail address (the table is not a list of them)."""
    digest = hmac.new(gateway.secret_keys.current.encode(), value.encode(), hashlib.sha256)
    return f"{kind}:{digest.hexdigest()}"


def token_of(signer: URLSafeSerializer, link: AccountLink) -> str:
    """The token of a link: its id and expiry, signed; the database holds the id, never it."""
    return signer.dumps({"j": link.link_id, "e": int(link.expires_at.timestamp())})


async def open_link(
    gateway: Gateway,
    signer: URLSafeSerializer,
    token: str,
    fits: Callable[[AccountLink], bool] = lambda link: True,
) -> OpenLink:
    """The link behind a token, if it is genuine, `fits` what it is used for, and can still be
    used; LinkRefused says plainly why not. Opening spends nothing."""
    try:
        claim = signer.loads(token)
        link_id, expires = str(claim["j"]), int(claim["e"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkRefused() from exc
    link = await gateway.store.link(link_id)
    account = await gateway.store.account(link.account_id) if link is not None else None
    if link is None or account is None or not fits(link):
        raise LinkRefused()
    if link.used_at is not None:
        raise LinkUsed()
    now = gateway.clock.now()
    if now >= link.expires_at or now >= datetime.fromtimestamp(expires, UTC):
        raise LinkExpired()
    return OpenLink(link, account)
