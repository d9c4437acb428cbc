"""The information point: people registered and requests asked on someone's behalf, and the
invitations of people registered or imported with an e-mail address."""

from services.gateway.account_links import INVITATION, send_account_link
from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.schemas import (
    OnBehalfMember,
    RequestBody,
)
from services.gateway.usecases import ask_for_help, coordinator_areas, in_areas
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import Conflict, Forbidden
from shared.logging import get_logger

log = get_logger(__name__)


async def register_on_behalf(
    gateway: Gateway, principal: Principal, body: OnBehalfMember
) -> rc.MemberInfo:
    """The information point registers a resident (who may have no e-mail) of its own area.
    A resident with an e-mail address gets a log-in without a password and an invitation to
    set one (the same single-use link as a reset, working longer)."""
    areas = await coordinator_areas(gateway, principal)
    place = await gateway.rpc.call(rc.AREAS_LOOKUP, rc.PostcodeQuery(postcode=body.postcode))
    if not in_areas(areas, place.neighbourhood.code):
        raise Forbidden("This address lies outside the areas of your cooperative.")
    member = await gateway.rpc.call(
        rc.MEMBER_REGISTER,
        rc.MemberRegister(
            name=body.name,
            email=body.email,
            phone=body.phone,
            postcode=body.postcode,
            house_number=body.house_number,
            language=body.language,
            roles=["resident"],
            consents={"matching": True, "share_phone": body.share_phone and bool(body.phone)},
            registered_by=principal.member_id,
            actor_id=principal.member_id,
        ),
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


async def ask_on_behalf(
    gateway: Gateway,
    principal: Principal,
    body: RequestBody,
    requester_id: str,
    *,
    idempotency_key: str | None = None,
) -> mc.RequestView:
    areas = await coordinator_areas(gateway, principal)
    member = await gateway.rpc.call(
        rc.MEMBER_GET, rc.MemberQuery(member_id=requester_id, actor_id=principal.member_id)
    )
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
