"""A member's notification preferences: channels in order, Apprise addresses, quiet hours,
language, digest, and a test message."""

from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.schemas import (
    AppriseAddress,
    NotificationsOut,
    NotificationsPatch,
    TestMessageOut,
)
from services.gateway.usecases import limit
from shared.contracts import notify as nc
from shared.errors import Forbidden, Invalid
from shared.logging import get_logger

log = get_logger(__name__)


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
