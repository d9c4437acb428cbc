"""RPC verbs on samen.rpc.registry.*: translate a request model into a use-case call."""

from collections.abc import Awaitable, Callable
from typing import Any

from services.registry.entrypoints import directory_rpc
from services.registry.service_layer import (
    areas,
    cooperatives,
    member_imports,
    members,
    volunteers,
)
from services.registry.service_layer.member_imports import Live
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.contracts import registry as c
from shared.service import ServiceRuntime


def register(
    runtime: ServiceRuntime, make: Callable[[], RegistryUnitOfWork], imports_running: Live
) -> None:
    async def areas_lookup(request: c.PostcodeQuery) -> c.PostcodeArea:
        """Postcode -> municipality, district and most likely neighbourhood, with confidence."""
        return await areas.lookup_postcode(postcode=request.postcode, uow=make())

    async def areas_list(request: c.AreaQuery) -> c.AreaList:
        """Areas, filtered by parent, level or municipality."""
        return c.AreaList(
            areas=await areas.list_areas(
                uow=make(),
                parent_code=request.parent_code,
                level=request.level,
                municipality_code=request.municipality_code,
            )
        )

    async def areas_get(request: c.AreaCode) -> c.AreaInfo:
        """One area by its CBS code."""
        return await areas.get_area(code=request.code, uow=make())

    async def areas_distance(request: c.AreaPair) -> c.AreaDistance:
        """Distance in km between the centroids of two areas."""
        km = await areas.area_distance(
            from_code=request.from_code, to_code=request.to_code, uow=make()
        )
        return c.AreaDistance(from_code=request.from_code, to_code=request.to_code, km=km)

    async def cooperative_list(request: c.CooperativeQuery) -> c.CooperativeList:
        """Cooperatives (covering an area, most local first; or coordinated by a member)."""
        return c.CooperativeList(
            cooperatives=await cooperatives.list_cooperatives(
                uow=make(), area_code=request.area_code, coordinator_id=request.coordinator_id
            )
        )

    async def cooperative_get(request: c.CooperativeRef) -> c.CooperativeInfo:
        """One cooperative: areas, coordinators, matching policy."""
        return await cooperatives.get_cooperative(cooperative_id=request.cooperative_id, uow=make())

    async def cooperative_add(request: c.CooperativeAdd) -> c.CooperativeInfo:
        """Add a cooperative (admins)."""
        return await cooperatives.add_cooperative(
            cooperative_id=request.cooperative_id,
            name=request.name,
            area_codes=request.area_codes,
            parent_id=request.parent_id,
            coordinator_ids=request.coordinator_ids,
            policy=request.policy,
            actor_id=request.actor_id,
            uow=make(),
        )

    async def cooperative_update(request: c.CooperativeUpdate) -> c.CooperativeInfo:
        """Change a cooperative's name, areas (admins), coordinators or policy."""
        return await cooperatives.update_cooperative(
            cooperative_id=request.cooperative_id,
            name=request.name,
            area_codes=request.area_codes,
            coordinator_ids=request.coordinator_ids,
            policy=request.policy,
            actor_id=request.actor_id,
            uow=make(),
        )

    async def member_register(request: c.MemberRegister) -> c.MemberInfo:
        """Register a member (themselves, or on their behalf by a coordinator)."""
        return await members.register_member(
            uow=make(),
            name=request.name,
            first_name=request.first_name,
            email=request.email,
            phone=request.phone,
            postcode=request.postcode,
            house_number=request.house_number,
            language=request.language,
            roles=list(request.roles),
            consents={str(k): v for k, v in request.consents.items()},
            registered_by=request.registered_by,
            actor_id=request.actor_id,
        )

    async def member_get(request: c.MemberQuery) -> c.MemberInfo:
        """A member's own data (themselves, their coordinator, an admin)."""
        return await members.get_member(
            member_id=request.member_id, actor_id=request.actor_id, uow=make()
        )

    async def member_import_part(request: c.MemberImportPart) -> c.MemberImportView:
        """One part of a CSV a coordinator uploads; the last sets its import going."""
        return await member_imports.receive_part(request, uow=make())

    async def member_import_get(request: c.MemberImportQuery) -> c.MemberImportView:
        """How far an uploaded import is, and its report once done."""
        return await member_imports.get_import(request, uow=make(), live=imports_running)

    async def member_placement(request: c.MemberRef) -> c.MemberPlacement:
        """Where a member lives and what they agreed to, for matching (no contact details)."""
        return await members.placement(member_id=request.member_id, uow=make())

    async def member_update(request: c.MemberUpdate) -> c.MemberInfo:
        """Change the given fields of a member."""
        changes = {
            field: value
            for field, value in request
            if value is not None and field not in ("member_id", "actor_id")
        }
        return await members.update_member(
            member_id=request.member_id, changes=changes, actor_id=request.actor_id, uow=make()
        )

    async def member_find_by_email(request: c.MemberByEmail) -> c.MemberInfo:
        """The member with this e-mail address (case-insensitive)."""
        return await members.find_by_email(email=request.email, uow=make())

    async def member_list(request: c.MemberListQuery) -> c.MemberList:
        """Members of an area (coordinators: only their own areas)."""
        return await members.list_members(
            uow=make(),
            actor_id=request.actor_id,
            area_code=request.area_code,
            role=request.role,
            category=request.category,
            q=request.q,
            limit=request.limit,
            offset=request.offset,
        )

    async def member_contact(request: c.MemberRef) -> c.MemberContact:
        """How to reach a member (notify and the gateway only)."""
        return await members.member_contact(member_id=request.member_id, uow=make())

    async def member_contacts(request: c.MemberRefs) -> c.MemberContactList:
        """How to reach many members at once (notify only)."""
        return await members.member_contacts(member_ids=request.member_ids, uow=make())

    async def member_export(request: c.MemberQuery) -> c.MemberExport:
        """Everything the registry holds about a member."""
        return await members.export_member(
            member_id=request.member_id, actor_id=request.actor_id, uow=make()
        )

    async def member_erase(request: c.MemberQuery) -> c.MemberErasure:
        """Erase a member's personal data; publishes member.erased."""
        return await members.erase_member(
            member_id=request.member_id, actor_id=request.actor_id, uow=make()
        )

    async def volunteer_profile_get(request: c.MemberQuery) -> c.VolunteerProfile:
        """A volunteer's profile."""
        return await volunteers.get_profile(
            member_id=request.member_id, actor_id=request.actor_id, uow=make()
        )

    async def volunteer_profile_set(request: c.VolunteerProfileSet) -> c.VolunteerProfile:
        """Create or replace a volunteer profile; publishes volunteer.profile_updated."""
        return await volunteers.set_profile(
            member_id=request.member_id,
            actor_id=request.actor_id,
            categories=request.categories,
            availability=request.availability,
            flexible=request.flexible,
            radius_km=request.radius_km,
            languages=request.languages,
            max_open=request.max_open,
            active=request.active,
            certificate_of_conduct_date=request.certificate_of_conduct_date,
            paused_until=request.paused_until,
            uow=make(),
        )

    async def member_invitations_due(request: c.InvitationsQuery) -> c.InvitationsDue:
        """Imported members with an e-mail address not yet invited to set a password."""
        return await members.invitations_due(limit=request.limit, uow=make())

    async def member_invitation_done(request: c.MemberRef) -> c.MemberRef:
        """Record that a member has been invited (idempotent)."""
        return await members.invitation_done(member_id=request.member_id, uow=make())

    verbs: dict[str, Callable[..., Awaitable[Any]]] = {
        c.AREAS_LOOKUP: areas_lookup,
        c.AREAS_LIST: areas_list,
        c.AREAS_GET: areas_get,
        c.AREAS_DISTANCE: areas_distance,
        c.COOPERATIVE_LIST: cooperative_list,
        c.COOPERATIVE_GET: cooperative_get,
        c.COOPERATIVE_ADD: cooperative_add,
        c.COOPERATIVE_UPDATE: cooperative_update,
        c.MEMBER_REGISTER: member_register,
        c.MEMBER_GET: member_get,
        c.MEMBER_PLACEMENT: member_placement,
        c.MEMBER_IMPORT_PART: member_import_part,
        c.MEMBER_IMPORT_GET: member_import_get,
        c.MEMBER_UPDATE: member_update,
        c.MEMBER_FIND_BY_EMAIL: member_find_by_email,
        c.MEMBER_LIST: member_list,
        c.MEMBER_CONTACT: member_contact,
        c.MEMBER_CONTACTS: member_contacts,
        c.MEMBER_EXPORT: member_export,
        c.MEMBER_ERASE: member_erase,
        c.MEMBER_INVITATIONS_DUE: member_invitations_due,
        c.MEMBER_INVITATION_DONE: member_invitation_done,
        c.VOLUNTEER_PROFILE_GET: volunteer_profile_get,
        c.VOLUNTEER_PROFILE_SET: volunteer_profile_set,
    }
    for verb, handler in verbs.items():
        runtime.answer(verb, handler)
    directory_rpc.register(runtime, make)
