"""Members: register, read, change, contact, export and erase."""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from services.registry.domain.areas import PostcodeError, Resolution
from services.registry.domain.authz import Actor, require_admin, require_area, require_manage
from services.registry.domain.errors import FieldErrors
from services.registry.domain.members import (
    CONSENT_PURPOSES,
    PRIVILEGED_ROLES,
    ConsentChange,
    Member,
    MemberSearch,
    check_reachable,
    consent_changes,
    current_consents,
    draft_member,
    erased,
    first_name_of,
    held_consents,
    new_member,
    normalise_email,
    normalise_house_number,
    normalise_name,
    normalise_phone,
    normalise_roles,
    placed,
)
from services.registry.service_layer import volunteers
from services.registry.service_layer.actors import load_actor
from services.registry.service_layer.areas import check_code, resolve
from services.registry.service_layer.cooperatives import announce, cooperative_info
from services.registry.service_layer.directory import organisation_info
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.areas import AreaRef
from shared.contracts.registry import (
    ConsentRecord,
    ConsentState,
    InvitationDue,
    InvitationsDue,
    MemberContact,
    MemberContactList,
    MemberErasure,
    MemberExport,
    MemberInfo,
    MemberList,
    MemberPlacement,
    MemberRef,
    MemberSummary,
)
from shared.errors import AlreadyStored, Conflict, Invalid, NotFound
from shared.events import MemberErased, MemberRegistered, MemberUpdated
from shared.ids import new_id


def member_area(member: Member) -> AreaRef:
    return AreaRef.from_code(member.neighbourhood)


async def member_info(uow: RegistryUnitOfWork, member: Member) -> MemberInfo:
    consents = current_consents(await uow.members.consents(member.member_id))
    coordinates, _ = await uow.repo.coordinated_areas(member.member_id)
    neighbourhood = await uow.repo.area(member.neighbourhood) if member.neighbourhood else None
    return MemberInfo(
        member_id=member.member_id,
        name=member.name,
        first_name=member.first_name,
        email=member.email,
        phone=member.phone,
        postcode=member.postcode,
        house_number=member.house_number,
        language=member.language,
        roles=member.roles,
        consents={p: ConsentState(granted=c.granted, at=c.at) for p, c in consents.items()},
        municipality=member.municipality,
        district=member.district,
        neighbourhood=member.neighbourhood,
        neighbourhood_name=neighbourhood.name if neighbourhood else None,
        area_confidence=member.area_confidence,
        registered_by=member.registered_by,
        coordinates=coordinates,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


async def live_member(uow: RegistryUnitOfWork, member_id: str) -> Member:
    member = await uow.members.get(member_id)
    if member is None or member.erased:
        raise NotFound(f"no member {member_id}")
    return member


async def _place(uow: RegistryUnitOfWork, postcode: str, errors: FieldErrors) -> Resolution | None:
    try:
        return await resolve(uow, postcode)
    except PostcodeError as exc:
        errors.add("postcode", str(exc), exc.reason)
        return None


async def _check_registrar(
    uow: RegistryUnitOfWork, actor: Actor | None, registered_by: str | None
) -> None:
    if registered_by is None:
        return
    registrar = await uow.members.get(registered_by)
    if registrar is None or registrar.erased:
        raise Invalid(
            f"no member {registered_by}",
            details={"errors": [{"field": "registered_by", "message": "no such member"}]},
        )
    if not set(registrar.roles) & PRIVILEGED_ROLES:
        raise Invalid(
            "only a coordinator or an admin registers someone on their behalf",
            details={"errors": [{"field": "registered_by", "message": "not a coordinator"}]},
        )
    if actor is not None and not actor.is_admin and actor.member_id != registered_by:
        raise Invalid(
            "registered_by is the member who registers",
            details={"errors": [{"field": "registered_by", "message": "must be the actor"}]},
        )


async def register_member(
    *,
    uow: RegistryUnitOfWork,
    name: str,
    postcode: str,
    house_number: str,
    first_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    language: str = "nl",
    roles: list[str] | None = None,
    consents: Mapping[str, bool] | None = None,
    registered_by: str | None = None,
    actor_id: str | None = None,
) -> MemberInfo:
    """Register someone. An acting member (`actor_id`, else `registered_by`) needs to be an
    admin to give the coordinator or admin role; without one the caller is trusted (the gateway
    offers people signing up only the resident and volunteer roles)."""
    errors = FieldErrors()
    draft = draft_member(
        name=name,
        first_name=first_name,
        email=email,
        phone=phone,
        postcode=postcode,
        house_number=house_number,
        language=language,
        roles=roles if roles is not None else ["resident"],
        consents=consents,
        registered_by=registered_by,
        errors=errors,
    )
    async with uow:
        actor = await load_actor(uow, actor_id or registered_by)
        found = await _place(uow, postcode, errors)
        errors.raise_if_any()
        assert draft is not None and found is not None
        await _check_registrar(uow, actor, registered_by)
        if set(draft.roles) & PRIVILEGED_ROLES:
            require_admin(actor, "give the coordinator or admin role")
        if registered_by is not None:
            require_area(actor, found.neighbourhood_code, "register members here")
        if draft.email and await uow.members.by_email(draft.email) is not None:
            raise Conflict(
                "this e-mail address is registered already",
                details={"errors": [{"field": "email", "message": "already registered"}]},
            )
        now = uow.clock.now()
        member_id = new_id()
        await uow.members.add(new_member(member_id, draft, found, now))
        changes = consent_changes({}, draft.consents, at=now, by=registered_by)
        await uow.members.add_consents(member_id, changes)
        uow.emit(
            MemberRegistered(
                member_id=member_id,
                roles=draft.roles,
                language=draft.language,
                registered_by=registered_by,
                consents={p: bool(draft.consents.get(p)) for p in CONSENT_PURPOSES},
            ),
            AreaRef.from_code(found.neighbourhood_code),
        )
        try:
            await uow.commit()
        except AlreadyStored:
            raise Conflict("this e-mail address is registered already") from None
        return await member_info(uow, await live_member(uow, member_id))


async def get_member(
    *, member_id: str, uow: RegistryUnitOfWork, actor_id: str | None = None
) -> MemberInfo:
    async with uow:
        actor = await load_actor(uow, actor_id)
        member = await live_member(uow, member_id)
        require_manage(actor, member_id=member_id, area_code=member.neighbourhood)
        return await member_info(uow, member)


async def placement(*, member_id: str, uow: RegistryUnitOfWork) -> MemberPlacement:
    """What matching would know of a member from their events, for a request that came
    before the events did."""
    async with uow:
        member = await live_member(uow, member_id)
        consents = held_consents(await uow.members.consents(member_id))
        return MemberPlacement(
            member_id=member.member_id,
            roles=member.roles,
            language=member.language,
            consents=consents,
            municipality=member.municipality,
            district=member.district,
            neighbourhood=member.neighbourhood,
        )


async def find_by_email(*, email: str, uow: RegistryUnitOfWork) -> MemberInfo:
    try:
        wanted = normalise_email(email)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    async with uow:
        member = await uow.members.by_email(wanted) if wanted else None
        if member is None:
            raise NotFound("no member with this e-mail address")
        return await member_info(uow, member)


async def update_member(
    *,
    member_id: str,
    changes: Mapping[str, Any],
    uow: RegistryUnitOfWork,
    actor_id: str | None = None,
) -> MemberInfo:
    """Change only the given fields (`changes` holds field -> new value; an empty e-mail or
    phone removes it). Emits member.updated (and volunteer.profile_updated when the area or
    the matching consent of a volunteer changes)."""
    async with uow:
        actor = await load_actor(uow, actor_id)
        member = await live_member(uow, member_id)
        require_manage(actor, member_id=member_id, area_code=member.neighbourhood)
        errors = FieldErrors()
        values: dict[str, Any] = {}
        if "name" in changes and changes["name"] is not None:
            with errors.checking("name"):
                values["name"] = normalise_name(changes["name"])
        if "first_name" in changes:
            with errors.checking("first_name"):
                given = changes["first_name"]
                values["first_name"] = (
                    normalise_name(given)
                    if given
                    else first_name_of(values.get("name") or member.name or "")
                )
        elif "name" in values and member.first_name == first_name_of(member.name or ""):
            values["first_name"] = first_name_of(values["name"])
        if "email" in changes:
            with errors.checking("email"):
                values["email"] = normalise_email(changes["email"])
        if "phone" in changes:
            with errors.checking("phone"):
                values["phone"] = normalise_phone(changes["phone"])
        if changes.get("language") is not None:
            with errors.checking("language"):
                if changes["language"] not in ("nl", "en"):
                    raise ValueError("language is one of nl, en")
                values["language"] = changes["language"]
        new_roles = member.roles
        if changes.get("roles") is not None:
            with errors.checking("roles"):
                new_roles = normalise_roles(changes["roles"])
                values["roles"] = new_roles
        postcode = changes.get("postcode") or None
        house_number = changes.get("house_number") or None
        found = None
        if postcode is not None:
            found = await _place(uow, postcode, errors)
        if house_number is not None:
            with errors.checking("house_number"):
                values["house_number"] = normalise_house_number(house_number)
        errors.raise_if_any()
        if found is not None:
            values["postcode"] = str(found.postcode)
            values.update(placed(found))
            require_manage(actor, member_id=member_id, area_code=found.neighbourhood_code)
        old_roles = set(member.roles)
        if (set(new_roles) ^ old_roles) & PRIVILEGED_ROLES:
            require_admin(actor, "give or take the coordinator or admin role")
        email = values.get("email", member.email)
        phone = values.get("phone", member.phone)
        try:
            check_reachable(email, phone, member.registered_by)
        except ValueError as exc:
            raise Invalid(
                str(exc), details={"errors": [{"field": "email", "message": str(exc)}]}
            ) from None
        if email and email != member.email and await uow.members.by_email(email) is not None:
            raise Conflict(
                "this e-mail address is registered already",
                details={"errors": [{"field": "email", "message": "already registered"}]},
            )
        changed = sorted(k for k, v in values.items() if getattr(member, k) != v)
        now = uow.clock.now()
        held = held_consents(await uow.members.consents(member_id))
        try:
            consent_diff = consent_changes(
                held,
                changes.get("consents") or {},
                at=now,
                by=actor.member_id if actor and actor.member_id != member_id else None,
            )
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        if consent_diff:
            changed.append("consents")
            await uow.members.add_consents(member_id, consent_diff)
            held.update({c.purpose: c.granted for c in consent_diff})
        if not changed:
            return await member_info(uow, member)
        updated = replace(member, **values, updated_at=now)
        await uow.members.save(updated)
        uow.emit(
            MemberUpdated(
                member_id=member_id,
                roles=new_roles,
                language=updated.language,
                changed=changed,
                consents=held,
            ),
            member_area(updated),
        )
        area_moved = updated.neighbourhood != member.neighbourhood
        consent_moved = any(c.purpose == "matching" for c in consent_diff)
        stopped = "volunteer" in old_roles and "volunteer" not in new_roles
        if area_moved or consent_moved or stopped:
            await volunteers.announce_profile(uow, updated, deactivate=stopped)
        if "coordinator" in old_roles and "coordinator" not in new_roles:
            await _leave_cooperatives(uow, member_id)
        try:
            await uow.commit()
        except AlreadyStored:
            raise Conflict("this e-mail address is registered already") from None
        return await member_info(uow, updated)


async def list_members(
    *,
    uow: RegistryUnitOfWork,
    actor_id: str | None = None,
    area_code: str | None = None,
    role: str | None = None,
    category: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> MemberList:
    """Coordinators see the members of their cooperatives' areas, admins everyone."""
    check_code(area_code)
    async with uow:
        actor = await load_actor(uow, actor_id)
        if area_code is not None:
            require_area(actor, area_code, "list members here")
            areas: list[str] | None = [area_code]
        elif actor is None or actor.is_admin:
            areas = None
        else:
            if not actor.is_coordinator:
                require_area(actor, None, "list members")
            areas = list(actor.coordinated_areas)
        total, found = await uow.members.search(
            MemberSearch(areas, role=role, category=category, q=q, limit=limit, offset=offset)
        )
        names = await uow.repo.areas_by_code(m.neighbourhood for m in found if m.neighbourhood)
    return MemberList(
        total=total,
        members=[
            MemberSummary(
                member_id=m.member_id,
                name=m.name,
                roles=m.roles,
                neighbourhood=m.neighbourhood,
                neighbourhood_name=names[m.neighbourhood].name
                if m.neighbourhood in names
                else None,
                language=m.language,
            )
            for m in found
        ],
    )


async def invitations_due(*, limit: int, uow: RegistryUnitOfWork) -> InvitationsDue:
    """Imported members with an e-mail address still to be invited to set a password."""
    async with uow:
        due = await uow.members.invitations_due(limit)
    return InvitationsDue(
        invitations=[
            InvitationDue(member_id=m.member_id, email=m.email, roles=m.roles, language=m.language)
            for m in due
        ]
    )


async def invitation_done(*, member_id: str, uow: RegistryUnitOfWork) -> MemberRef:
    """The member has been invited (or needs no invitation): never again."""
    async with uow:
        await uow.members.invitation_done(member_id, uow.clock.now())
        await uow.commit()
    return MemberRef(member_id=member_id)


async def member_contact(*, member_id: str, uow: RegistryUnitOfWork) -> MemberContact:
    async with uow.read_only():
        member = await live_member(uow, member_id)
        consents = current_consents(await uow.members.consents(member_id))
    return contact_of(member, consents)


async def member_contacts(*, member_ids: list[str], uow: RegistryUnitOfWork) -> MemberContactList:
    """Many contacts in one read; unknown and erased members are left out."""
    async with uow.read_only():
        found = await uow.members.by_ids(member_ids)
        consents = await uow.members.consents_of([m.member_id for m in found])
    return MemberContactList(
        contacts=[
            contact_of(m, current_consents(consents.get(m.member_id, [])))
            for m in found
            if not m.erased
        ]
    )


def contact_of(member: Member, consents: Mapping[str, ConsentChange]) -> MemberContact:
    share_phone = bool(consents.get("share_phone") and consents["share_phone"].granted)
    share_email = bool(consents.get("share_email") and consents["share_email"].granted)
    return MemberContact(
        member_id=member.member_id,
        name=member.name,
        first_name=member.first_name,
        email=member.email,
        phone=member.phone,
        language=member.language,
        # Without an e-mail address Samen cannot write to them: the coordinator who registered
        # them passes the messages on (by phone, or by letter), whether they have a phone or not.
        via_coordinator_id=member.registered_by if not member.email else None,
        share_phone_with_match=share_phone,
        share_email_with_match=share_email,
        neighbourhood=member.neighbourhood,
    )


async def export_member(
    *, member_id: str, uow: RegistryUnitOfWork, actor_id: str | None = None
) -> MemberExport:
    async with uow:
        actor = await load_actor(uow, actor_id)
        member = await live_member(uow, member_id)
        require_manage(actor, member_id=member_id, area_code=member.neighbourhood)
        info = await member_info(uow, member)
        history = [
            ConsentRecord(purpose=c.purpose, granted=c.granted, at=c.at, by=c.by)
            for c in await uow.members.consents(member_id)
        ]
        profile = await volunteers.profile_view(uow, member)
        orgs = await uow.directory.organisations(manager_id=member_id)
        managers = await uow.directory.managers([o.organisation_id for o in orgs])
        coops = await uow.repo.cooperatives(coordinator_id=member_id)
        registered_ids = await uow.members.registered_by(member_id)
    return MemberExport(
        member=info,
        consent_history=history,
        volunteer_profile=profile,
        organisations=[organisation_info(o, managers[o.organisation_id]) for o in orgs],
        coordinated_cooperatives=[cooperative_info(c) for c in coops],
        members_registered=registered_ids,
        exported_at=uow.clock.now(),
    )


async def _leave_cooperatives(uow: RegistryUnitOfWork, member_id: str) -> None:
    """No longer a coordinator anywhere; each cooperative concerned announces its new state."""
    for coop_id in await uow.repo.remove_coordinator_everywhere(member_id):
        coop = await uow.repo.cooperative(coop_id)
        if coop is not None:
            announce(uow, coop, created=False)


async def erase_member(
    *, member_id: str, uow: RegistryUnitOfWork, actor_id: str | None = None
) -> MemberErasure:
    """Wipe personal data; keep the member id, area and times so figures still add up."""
    async with uow:
        actor = await load_actor(uow, actor_id)
        member = await live_member(uow, member_id)
        require_manage(actor, member_id=member_id, area_code=member.neighbourhood)
        now = uow.clock.now()
        await uow.members.save(erased(member, now))
        await uow.members.delete_consents(member_id)
        await uow.volunteers.delete(member_id)
        await uow.members.delete_import_keys(member_id)
        await uow.directory.remove_manager_everywhere(member_id)
        await _leave_cooperatives(uow, member_id)
        uow.emit(MemberErased(member_id=member_id), member_area(member))
        await uow.commit()
    return MemberErasure(member_id=member_id, erased_at=now)
