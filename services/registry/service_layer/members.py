"""Members: register, read, change, contact, export and erase."""

from collections.abc import Mapping, Sequence
from typing import Any

from services.registry.adapters.repository import Row, split_list
from services.registry.domain.areas import PostcodeError, Resolution
from services.registry.domain.authz import Actor, require_admin, require_area, require_manage
from services.registry.domain.errors import FieldErrors
from services.registry.domain.members import (
    CONSENT_PURPOSES,
    PRIVILEGED_ROLES,
    check_reachable,
    consent_changes,
    draft_member,
    erased_values,
    first_name_of,
    normalise_email,
    normalise_house_number,
    normalise_name,
    normalise_phone,
    normalise_roles,
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


def current_consents(rows: Sequence[Row]) -> dict[str, Row]:
    """The latest record per purpose (rows come oldest first)."""
    latest: dict[str, Row] = {}
    for row in rows:
        latest[row["purpose"]] = row
    return latest


def member_area(row: Row) -> AreaRef:
    return AreaRef.from_code(row["neighbourhood"])


async def member_info(uow: RegistryUnitOfWork, row: Row) -> MemberInfo:
    consents = current_consents(await uow.repo.consents(row["member_id"]))
    coordinates, _ = await uow.repo.coordinated_areas(row["member_id"])
    neighbourhood = await uow.repo.area(row["neighbourhood"]) if row["neighbourhood"] else None
    return MemberInfo(
        member_id=row["member_id"],
        name=row["name"],
        first_name=row["first_name"],
        email=row["email"],
        phone=row["phone"],
        postcode=row["postcode"],
        house_number=row["house_number"],
        language=row["language"],
        roles=split_list(row["roles"]),
        consents={p: ConsentState(granted=r["granted"], at=r["at"]) for p, r in consents.items()},
        municipality=row["municipality"],
        district=row["district"],
        neighbourhood=row["neighbourhood"],
        neighbourhood_name=neighbourhood.name if neighbourhood else None,
        area_confidence=row["area_confidence"],
        registered_by=row["registered_by"],
        coordinates=coordinates,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def live_member(uow: RegistryUnitOfWork, member_id: str) -> Row:
    row = await uow.repo.member(member_id)
    if row is None or row["erased_at"] is not None:
        raise NotFound(f"no member {member_id}")
    return row


def area_values(found: Resolution) -> dict[str, Any]:
    return {
        "municipality": found.municipality_code,
        "district": found.district_code,
        "neighbourhood": found.neighbourhood_code,
        "area_confidence": found.neighbourhood_confidence,
    }


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
    registrar = await uow.repo.member(registered_by)
    if registrar is None or registrar["erased_at"] is not None:
        raise Invalid(
            f"no member {registered_by}",
            details={"errors": [{"field": "registered_by", "message": "no such member"}]},
        )
    roles = set(split_list(registrar["roles"]))
    if not roles & PRIVILEGED_ROLES:
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
        if draft.email and await uow.repo.member_by_email(draft.email) is not None:
            raise Conflict(
                "this e-mail address is registered already",
                details={"errors": [{"field": "email", "message": "already registered"}]},
            )
        now = uow.clock.now()
        member_id = new_id()
        await uow.repo.add_member(
            {
                "member_id": member_id,
                "name": draft.name,
                "first_name": draft.first_name,
                "email": draft.email,
                "phone": draft.phone,
                "postcode": str(found.postcode),
                "house_number": draft.house_number,
                "language": draft.language,
                "roles": ",".join(draft.roles),
                "registered_by": registered_by,
                "created_at": now,
                "updated_at": now,
                **area_values(found),
            }
        )
        changes = consent_changes({}, draft.consents, at=now, by=registered_by)
        await uow.repo.add_consents(
            [
                {
                    "member_id": member_id,
                    "purpose": c.purpose,
                    "granted": c.granted,
                    "at": c.at,
                    "by": c.by,
                }
                for c in changes
            ]
        )
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
        row = await live_member(uow, member_id)
        require_manage(actor, member_id=member_id, area_code=row["neighbourhood"])
        return await member_info(uow, row)


async def placement(*, member_id: str, uow: RegistryUnitOfWork) -> MemberPlacement:
    """What matching would know of a member from their events, for a request that came
    before the events did."""
    async with uow:
        row = await live_member(uow, member_id)
        consents = current_consents(await uow.repo.consents(member_id))
        return MemberPlacement(
            member_id=row["member_id"],
            roles=split_list(row["roles"]),
            language=row["language"],
            consents={p: bool(r["granted"]) for p, r in consents.items()},
            municipality=row["municipality"],
            district=row["district"],
            neighbourhood=row["neighbourhood"],
        )


async def find_by_email(*, email: str, uow: RegistryUnitOfWork) -> MemberInfo:
    try:
        wanted = normalise_email(email)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    async with uow:
        row = await uow.repo.member_by_email(wanted) if wanted else None
        if row is None:
            raise NotFound("no member with this e-mail address")
        return await member_info(uow, row)


async def update_member(
    *,
    member_id: str,
    changes: Row,
    uow: RegistryUnitOfWork,
    actor_id: str | None = None,
) -> MemberInfo:
    """Change only the given fields (`changes` holds field -> new value; an empty e-mail or
    phone removes it). Emits member.updated (and volunteer.profile_updated when the area or
    the matching consent of a volunteer changes)."""
    async with uow:
        actor = await load_actor(uow, actor_id)
        row = await live_member(uow, member_id)
        require_manage(actor, member_id=member_id, area_code=row["neighbourhood"])
        errors = FieldErrors()
        values: dict[str, Any] = {}
        changed: list[str] = []
        if "name" in changes and changes["name"] is not None:
            with errors.checking("name"):
                values["name"] = normalise_name(changes["name"])
        if "first_name" in changes:
            with errors.checking("first_name"):
                given = changes["first_name"]
                values["first_name"] = (
                    normalise_name(given)
                    if given
                    else first_name_of(values.get("name") or row["name"])
                )
        elif "name" in values and row["first_name"] == first_name_of(row["name"]):
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
        new_roles = split_list(row["roles"])
        if changes.get("roles") is not None:
            with errors.checking("roles"):
                new_roles = normalise_roles(changes["roles"])
                values["roles"] = ",".join(new_roles)
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
            values.update(area_values(found))
            require_manage(actor, member_id=member_id, area_code=found.neighbourhood_code)
        old_roles = set(split_list(row["roles"]))
        if (set(new_roles) ^ old_roles) & PRIVILEGED_ROLES:
            require_admin(actor, "give or take the coordinator or admin role")
        email = values.get("email", row["email"])
        phone = values.get("phone", row["phone"])
        try:
            check_reachable(email, phone, row["registered_by"])
        except ValueError as exc:
            raise Invalid(
                str(exc), details={"errors": [{"field": "email", "message": str(exc)}]}
            ) from None
        if email and email != row["email"] and await uow.repo.member_by_email(email) is not None:
            raise Conflict(
                "this e-mail address is registered already",
                details={"errors": [{"field": "email", "message": "already registered"}]},
            )
        changed = sorted(k for k, v in values.items() if row[k] != v)
        now = uow.clock.now()
        consent_rows = await uow.repo.consents(member_id)
        held = {p: r["granted"] for p, r in current_consents(consent_rows).items()}
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
            await uow.repo.add_consents(
                [
                    {
                        "member_id": member_id,
                        "purpose": c.purpose,
                        "granted": c.granted,
                        "at": c.at,
                        "by": c.by,
                    }
                    for c in consent_diff
                ]
            )
            held.update({c.purpose: c.granted for c in consent_diff})
        if not changed:
            return await member_info(uow, row)
        values["updated_at"] = now
        await uow.repo.update_member(member_id, values)
        updated = await live_member(uow, member_id)
        uow.emit(
            MemberUpdated(
                member_id=member_id,
                roles=new_roles,
                language=updated["language"],
                changed=changed,
                consents=held,
            ),
            member_area(updated),
        )
        area_moved = updated["neighbourhood"] != row["neighbourhood"]
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
        total, rows = await uow.repo.list_members(
            area_codes=areas, role=role, category=category, q=q, limit=limit, offset=offset
        )
        names = await uow.repo.areas_by_code(r["neighbourhood"] for r in rows if r["neighbourhood"])
    return MemberList(
        total=total,
        members=[
            MemberSummary(
                member_id=r["member_id"],
                name=r["name"],
                roles=split_list(r["roles"]),
                neighbourhood=r["neighbourhood"],
                neighbourhood_name=names[r["neighbourhood"]].name
                if r["neighbourhood"] in names
                else None,
                language=r["language"],
            )
            for r in rows
        ],
    )


async def invitations_due(*, limit: int, uow: RegistryUnitOfWork) -> InvitationsDue:
    """Imported members with an e-mail address still to be invited to set a password."""
    async with uow:
        rows = await uow.repo.invitations_due(limit)
    return InvitationsDue(
        invitations=[
            InvitationDue(
                member_id=row["member_id"],
                email=row["email"],
                roles=split_list(row["roles"]),
                language=row["language"],
            )
            for row in rows
        ]
    )


async def invitation_done(*, member_id: str, uow: RegistryUnitOfWork) -> MemberRef:
    """The member has been invited (or needs no invitation): never again."""
    async with uow:
        await uow.repo.invitation_done(member_id, uow.clock.now())
        await uow.commit()
    return MemberRef(member_id=member_id)


async def member_contact(*, member_id: str, uow: RegistryUnitOfWork) -> MemberContact:
    async with uow.read_only():
        row = await live_member(uow, member_id)
        consents = current_consents(await uow.repo.consents(member_id))
    return contact_of(row, consents)


async def member_contacts(*, member_ids: list[str], uow: RegistryUnitOfWork) -> MemberContactList:
    """Many contacts in one read; unknown and erased members are left out."""
    async with uow.read_only():
        rows = await uow.repo.members_by_ids(member_ids)
        consents = await uow.repo.consents_of([row["member_id"] for row in rows])
    return MemberContactList(
        contacts=[
            contact_of(row, current_consents(consents.get(row["member_id"], [])))
            for row in rows
            if row["erased_at"] is None
        ]
    )


def contact_of(row: Row, consents: Mapping[str, Row]) -> MemberContact:
    share_phone = bool(consents.get("share_phone") and consents["share_phone"]["granted"])
    share_email = bool(consents.get("share_email") and consents["share_email"]["granted"])
    return MemberContact(
        member_id=row["member_id"],
        name=row["name"],
        first_name=row["first_name"],
        email=row["email"],
        phone=row["phone"],
        language=row["language"],
        # Without an e-mail address Samen cannot write to them: the coordinator who registered
        # them passes the messages on (by phone, or by letter), whether they have a phone or not.
        via_coordinator_id=row["registered_by"] if not row["email"] else None,
        share_phone_with_match=share_phone,
        share_email_with_match=share_email,
        neighbourhood=row["neighbourhood"],
    )


async def export_member(
    *, member_id: str, uow: RegistryUnitOfWork, actor_id: str | None = None
) -> MemberExport:
    async with uow:
        actor = await load_actor(uow, actor_id)
        row = await live_member(uow, member_id)
        require_manage(actor, member_id=member_id, area_code=row["neighbourhood"])
        info = await member_info(uow, row)
        history = [
            ConsentRecord(purpose=r["purpose"], granted=r["granted"], at=r["at"], by=r["by"])
            for r in await uow.repo.consents(member_id)
        ]
        profile = await volunteers.profile_view(uow, row)
        orgs = await uow.directory.organisations(manager_id=member_id)
        managers = await uow.directory.managers([o["organisation_id"] for o in orgs])
        coops = await uow.repo.cooperatives(coordinator_id=member_id)
        registered_ids = await uow.repo.registered_by(member_id)
    return MemberExport(
        member=info,
        consent_history=history,
        volunteer_profile=profile,
        organisations=[organisation_info(o, managers[o["organisation_id"]]) for o in orgs],
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
        row = await live_member(uow, member_id)
        require_manage(actor, member_id=member_id, area_code=row["neighbourhood"])
        now = uow.clock.now()
        await uow.repo.update_member(member_id, erased_values(now))
        await uow.repo.delete_consents(member_id)
        await uow.repo.delete_profile(member_id)
        await uow.repo.delete_import_keys(member_id)
        await uow.directory.remove_manager_everywhere(member_id)
        await _leave_cooperatives(uow, member_id)
        uow.emit(MemberErased(member_id=member_id), member_area(row))
        await uow.commit()
    return MemberErasure(member_id=member_id, erased_at=now)
