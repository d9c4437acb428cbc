"""The signed-in member: profile, export of everything held, erasure."""

from typing import Any

from fastapi import APIRouter, Response, status

from services.gateway.deps import CurrentMember, GatewayDep
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.routes.api.auth import clear_session_cookies
from services.gateway.schemas import (
    EmailChangeBody,
    EmailChangeRequested,
    MeOut,
    MePatch,
    NotificationsOut,
    NotificationsPatch,
    TestMessageOut,
)
from services.gateway.usecases import accounts, privacy
from shared.contracts import registry as rc

router = APIRouter(prefix="/me", tags=["me"], responses=PROBLEM_RESPONSES)


def me_out(member: rc.MemberInfo) -> MeOut:
    return MeOut(
        member_id=member.member_id,
        name=member.name,
        first_name=member.first_name,
        email=member.email,
        phone=member.phone,
        postcode=member.postcode,
        house_number=member.house_number,
        language=member.language,
        roles=member.roles,
        municipality=member.municipality,
        district=member.district,
        neighbourhood=member.neighbourhood,
        neighbourhood_name=member.neighbourhood_name,
        consents={purpose: state.granted for purpose, state in member.consents.items()},
    )


@router.get("", response_model=MeOut)
async def get_me(principal: CurrentMember, gateway: GatewayDep) -> MeOut:
    """My details as the registry holds them."""
    return me_out(await accounts.my_details(gateway, principal))


@router.patch("", response_model=MeOut)
async def patch_me(body: MePatch, principal: CurrentMember, gateway: GatewayDep) -> MeOut:
    """Change my details; only the fields given change."""
    changes = body.model_dump(exclude_unset=True)
    return me_out(await accounts.change_my_details(gateway, principal, changes))


@router.post("/email", status_code=status.HTTP_202_ACCEPTED, response_model=EmailChangeRequested)
async def change_email(
    body: EmailChangeBody, principal: CurrentMember, gateway: GatewayDep
) -> EmailChangeRequested:
    """Ask to use another e-mail address: the new address gets a link that works once (for
    `SAMEN_EMAIL_LINK_HOURS`); the address changes only when that link is confirmed
    (`/auth/email-change/confirm`), and the old address is told then. Answers 202 and the
    same body whether or not the new address is in use (its owner is told instead); 422 for
    the address you have now; 429 after a few tries."""
    await accounts.request_email_change(gateway, principal, body.email)
    return EmailChangeRequested(detail=accounts.EMAIL_CHANGE_SENT)


@router.get("/notifications", response_model=NotificationsOut)
async def get_notifications(principal: CurrentMember, gateway: GatewayDep) -> NotificationsOut:
    """Where my messages go: channels in order of preference, my Apprise addresses (masked:
    the whole URL is never shown again), quiet hours, language and (coordinators) the digest."""
    return await accounts.notification_preferences(gateway, principal)


@router.patch("/notifications", response_model=NotificationsOut)
async def patch_notifications(
    body: NotificationsPatch, principal: CurrentMember, gateway: GatewayDep
) -> NotificationsOut:
    """Change where my messages go; only the fields given change (a channel or an Apprise
    address not named stays). An Apprise URL the service does not allow, or that Apprise
    cannot use, is 422 naming only its scheme; `digest` is for coordinators (403 otherwise)."""
    return await accounts.change_notification_preferences(gateway, principal, body)


@router.post(
    "/notifications/test", status_code=status.HTTP_202_ACCEPTED, response_model=TestMessageOut
)
async def test_notifications(principal: CurrentMember, gateway: GatewayDep) -> TestMessageOut:
    """Send me a test message over my channels, as every message goes (not held by quiet
    hours); 429 after a few in an hour."""
    return await accounts.send_test_message(gateway, principal)


@router.get("/export")
async def export_me(principal: CurrentMember, gateway: GatewayDep) -> dict[str, Any]:
    """Everything every service holds about me (GDPR art. 15 and 20)."""
    return await privacy.export(gateway, principal)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(principal: CurrentMember, gateway: GatewayDep, response: Response) -> Response:
    """Forget me: personal data is erased in every service; anonymous figures stay."""
    await privacy.erase(gateway, principal)
    response.status_code = status.HTTP_204_NO_CONTENT
    clear_session_cookies(response, gateway)
    return response
