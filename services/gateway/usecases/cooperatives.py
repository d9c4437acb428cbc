"""Use cases of the cooperative admin: the cooperative's name and areas, its coordinators
(invited by e-mail), its matching policy, and its own channels for escalations with the time
of its coordinators' daily digest. Every change is written to the audit log with what changed.

An admin runs every cooperative; a coordinator runs the cooperatives inside the areas of those
they coordinate (policy, channels, who coordinates), but changes no areas and invites nobody
new: giving someone the coordinator role is an admin's (the registry checks the same).
"""

from dataclasses import dataclass

from services.gateway.adapters.store import AuditEntry, normalise_email
from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.schemas import ChannelsPatch, CooperativePatch, CoordinatorInvite
from services.gateway.usecases.accounts import apprise_refusal, invite
from services.gateway.usecases.areas import in_areas
from services.gateway.usecases.audit import audit
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.errors import Forbidden, Invalid, NotFound
from shared.events import MatchingPolicy

NOT_YOURS = "You do not run this cooperative."


@dataclass(frozen=True)
class Administered:
    """One cooperative as its admin sees it."""

    cooperative: rc.CooperativeInfo
    coordinators: list[rc.MemberInfo]
    channels: nc.CooperativeChannels
    may_change_areas: bool
    may_invite: bool
    changes: list[AuditEntry]


async def public_cooperatives(gateway: Gateway, area: str | None) -> list[rc.CooperativeInfo]:
    """The cooperatives, or those whose areas contain `area` (most local first): what anyone
    may look up (whoever shows them leaves out who coordinates them)."""
    found = await gateway.rpc.call(rc.COOPERATIVE_LIST, rc.CooperativeQuery(area_code=area))
    return list(found.cooperatives)


async def cooperatives_run_by(gateway: Gateway, principal: Principal) -> list[rc.CooperativeInfo]:
    """The cooperatives this member may run: all for an admin; for a coordinator, those whose
    areas lie inside the areas of the cooperatives they coordinate."""
    every = (await gateway.rpc.call(rc.COOPERATIVE_LIST, rc.CooperativeQuery())).cooperatives
    if principal.has("admin"):
        return every
    if not principal.has("coordinator"):
        raise Forbidden("Only admins and coordinators run a cooperative.")
    codes = [
        code
        for coop in every
        if principal.member_id in coop.coordinator_ids
        for code in coop.area_codes
    ]
    return [c for c in every if c.area_codes and all(in_areas(codes, a) for a in c.area_codes)]


async def _run_by(
    gateway: Gateway, principal: Principal, cooperative_id: str
) -> rc.CooperativeInfo:
    for coop in await cooperatives_run_by(gateway, principal):
        if coop.cooperative_id == cooperative_id:
            return coop
    try:
        await gateway.rpc.call(rc.COOPERATIVE_GET, rc.CooperativeRef(cooperative_id=cooperative_id))
    except NotFound:
        raise NotFound("There is no such cooperative.") from None
    raise Forbidden(NOT_YOURS)


async def administered(gateway: Gateway, principal: Principal, cooperative_id: str) -> Administered:
    coop = await _run_by(gateway, principal, cooperative_id)
    coordinators = [
        await gateway.rpc.call(rc.MEMBER_GET, rc.MemberQuery(member_id=member_id, actor_id=None))
        for member_id in coop.coordinator_ids
    ]
    if coordinators:
        await audit(gateway, principal, "member.view", [m.member_id for m in coordinators])
    return Administered(
        cooperative=coop,
        coordinators=coordinators,
        channels=await gateway.rpc.call(
            nc.COOPERATIVE_CHANNELS_GET, nc.CooperativeQuery(cooperative_id=cooperative_id)
        ),
        may_change_areas=principal.has("admin"),
        may_invite=principal.has("admin"),
        changes=await gateway.store.audit_entries(
            subject_ids=[cooperative_id], subject_type="cooperative", limit=50
        ),
    )


async def _changed(
    gateway: Gateway, principal: Principal, coop: rc.CooperativeInfo, detail: str
) -> None:
    """A change to the cooperative, in its change log (the audit log)."""
    await audit(
        gateway,
        principal,
        "cooperative.change",
        [coop.cooperative_id],
        area=coop.area_codes[0] if coop.area_codes else None,
        detail=detail,
    )


async def change_cooperative(
    gateway: Gateway, principal: Principal, cooperative_id: str, patch: CooperativePatch
) -> rc.CooperativeInfo:
    """Rename the cooperative, or (an admin) change its areas; the registry checks that they
    are known areas and that the cooperatives under it stay inside."""
    coop = await _run_by(gateway, principal, cooperative_id)
    areas = None
    if patch.area_codes is not None and sorted(patch.area_codes) != sorted(coop.area_codes):
        if not principal.has("admin"):
            raise Forbidden("Only an admin changes the areas of a cooperative.")
        areas = list(dict.fromkeys(patch.area_codes))
    name = patch.name.strip() if patch.name and patch.name.strip() != coop.name else None
    if name is None and areas is None:
        return coop
    changed = await gateway.rpc.call(
        rc.COOPERATIVE_UPDATE,
        rc.CooperativeUpdate(
            cooperative_id=cooperative_id,
            name=name,
            area_codes=areas,
            actor_id=principal.member_id,
        ),
    )
    details = []
    if name is not None:
        details.append("name")
    if areas is not None:
        details.append("areas: " + ", ".join(changed.area_codes))
    await _changed(gateway, principal, changed, "; ".join(details))
    return changed


async def change_policy(
    gateway: Gateway, principal: Principal, cooperative_id: str, policy: MatchingPolicy
) -> rc.CooperativeInfo:
    """The cooperative's matching numbers, from the next round on."""
    coop = await _run_by(gateway, principal, cooperative_id)
    if policy == coop.policy:
        return coop
    changed = await gateway.rpc.call(
        rc.COOPERATIVE_UPDATE,
        rc.CooperativeUpdate(
            cooperative_id=cooperative_id, policy=policy, actor_id=principal.member_id
        ),
    )
    before, after = coop.policy.model_dump(), policy.model_dump()
    detail = "; ".join(
        f"{key}: {before[key]} → {after[key]}" for key in after if before[key] != after[key]
    )
    await _changed(gateway, principal, changed, "policy " + detail)
    return changed


async def invite_coordinator(
    gateway: Gateway, principal: Principal, cooperative_id: str, invitation: CoordinatorInvite
) -> rc.MemberInfo:
    """An admin makes someone a coordinator of the cooperative by their e-mail address: a
    member already is given the role; someone new is registered with it, and both get a log-in
    (the new one an invitation to choose a password, as at the information point)."""
    if not principal.has("admin"):
        raise Forbidden("Only an admin invites coordinators.")
    coop = await _run_by(gateway, principal, cooperative_id)
    email = normalise_email(invitation.email)
    try:
        member = await gateway.rpc.call(rc.MEMBER_FIND_BY_EMAIL, rc.MemberByEmail(email=email))
    except NotFound:
        if not (invitation.name and invitation.postcode and invitation.house_number):
            raise Invalid(
                "New here: give a name, postcode and house number.",
                details={
                    "errors": [
                        {"field": field, "message": "Needed for someone new."}
                        for field in ("name", "postcode", "house_number")
                        if not getattr(invitation, field)
                    ]
                },
            ) from None
        member = await gateway.rpc.call(
            rc.MEMBER_REGISTER,
            rc.MemberRegister(
                name=invitation.name,
                email=email,
                postcode=invitation.postcode,
                house_number=invitation.house_number,
                language=invitation.language,
                roles=["resident", "coordinator"],
                actor_id=principal.member_id,
            ),
        )
    if "coordinator" not in member.roles:
        member = await gateway.rpc.call(
            rc.MEMBER_UPDATE,
            rc.MemberUpdate(
                member_id=member.member_id,
                roles=[*member.roles, "coordinator"],
                actor_id=principal.member_id,
            ),
        )
    account = await gateway.store.account_by_member(member.member_id)
    if account is None:
        await invite(gateway, member, email)
    elif "coordinator" not in account.roles:
        await gateway.store.update_account(account.account_id, roles=list(member.roles))
    if member.member_id not in coop.coordinator_ids:
        changed = await gateway.rpc.call(
            rc.COOPERATIVE_UPDATE,
            rc.CooperativeUpdate(
                cooperative_id=cooperative_id,
                coordinator_ids=[*coop.coordinator_ids, member.member_id],
                actor_id=principal.member_id,
            ),
        )
        await _changed(gateway, principal, changed, f"coordinator added: {member.member_id}")
    return member


async def remove_coordinator(
    gateway: Gateway, principal: Principal, cooperative_id: str, member_id: str
) -> rc.CooperativeInfo:
    """Someone no longer coordinates this cooperative (their role and log-in stay: they may
    coordinate another)."""
    coop = await _run_by(gateway, principal, cooperative_id)
    if member_id not in coop.coordinator_ids:
        return coop
    changed = await gateway.rpc.call(
        rc.COOPERATIVE_UPDATE,
        rc.CooperativeUpdate(
            cooperative_id=cooperative_id,
            coordinator_ids=[m for m in coop.coordinator_ids if m != member_id],
            actor_id=principal.member_id,
        ),
    )
    await _changed(gateway, principal, changed, f"coordinator removed: {member_id}")
    return changed


async def change_channels(
    gateway: Gateway, principal: Principal, cooperative_id: str, patch: ChannelsPatch
) -> nc.CooperativeChannels:
    """The cooperative's own Apprise addresses (a group chat hearing of every escalation) one
    by one, and the local time of its coordinators' daily digest ("" for the service's)."""
    coop = await _run_by(gateway, principal, cooperative_id)
    current = await gateway.rpc.call(
        nc.COOPERATIVE_CHANNELS_GET, nc.CooperativeQuery(cooperative_id=cooperative_id)
    )
    removed = set(patch.apprise_remove or [])
    urls = [u for u in current.apprise_urls if nc.apprise_id(u) not in removed]
    urls += [u for u in patch.apprise_add or [] if u not in urls]
    digest_time = current.digest_time
    if patch.digest_time is not None:
        digest_time = patch.digest_time or None
    if len(urls) > 5:
        raise Invalid(
            "At most 5 addresses.",
            details={"errors": [{"field": "apprise_add", "message": "At most 5 addresses."}]},
        )
    wanted = nc.CooperativeChannels(
        cooperative_id=cooperative_id, apprise_urls=urls, digest_time=digest_time
    )
    if wanted == current:
        return current
    try:
        changed = await gateway.rpc.call(nc.COOPERATIVE_CHANNELS_SET, wanted)
    except Invalid as exc:
        refusal = apprise_refusal(exc)
        if refusal is exc:
            raise
        raise refusal from exc
    details = []
    added = len([u for u in urls if u not in current.apprise_urls])
    gone = len([u for u in current.apprise_urls if u not in urls])
    if added or gone:
        details.append(f"channels: +{added} −{gone}")
    if changed.digest_time != current.digest_time:
        details.append(f"digest time: {changed.digest_time or 'default'}")
    await _changed(gateway, principal, coop, "; ".join(details))
    return changed
