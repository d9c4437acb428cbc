"""The registry's verbs (samen.rpc.registry.*): one table from verb to the translation of its
request into a use-case call."""

from collections.abc import Callable

from services.registry.entrypoints.directory_rpc import DIRECTORY_VERBS
from services.registry.entrypoints.handling import Dependencies, Translation, answer
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
from shared.contracts.verbs import AnyVerb
from shared.service import ServiceRuntime


async def areas_lookup(request: c.PostcodeQuery, deps: Dependencies) -> c.PostcodeArea:
    return await areas.lookup_postcode(postcode=request.postcode, uow=deps.uow())


async def areas_list(request: c.AreaQuery, deps: Dependencies) -> c.AreaList:
    return c.AreaList(
        areas=await areas.list_areas(
            uow=deps.uow(),
            parent_code=request.parent_code,
            level=request.level,
            municipality_code=request.municipality_code,
        )
    )


async def areas_get(request: c.AreaCode, deps: Dependencies) -> c.AreaInfo:
    return await areas.get_area(code=request.code, uow=deps.uow())


async def areas_distance(request: c.AreaPair, deps: Dependencies) -> c.AreaDistance:
    km = await areas.area_distance(
        from_code=request.from_code, to_code=request.to_code, uow=deps.uow()
    )
    return c.AreaDistance(from_code=request.from_code, to_code=request.to_code, km=km)


async def cooperative_list(request: c.CooperativeQuery, deps: Dependencies) -> c.CooperativeList:
    return c.CooperativeList(
        cooperatives=await cooperatives.list_cooperatives(
            uow=deps.uow(), area_code=request.area_code, coordinator_id=request.coordinator_id
        )
    )


async def cooperative_get(request: c.CooperativeRef, deps: Dependencies) -> c.CooperativeInfo:
    return await cooperatives.get_cooperative(cooperative_id=request.cooperative_id, uow=deps.uow())


async def cooperative_add(request: c.CooperativeAdd, deps: Dependencies) -> c.CooperativeInfo:
    return await cooperatives.add_cooperative(
        cooperative_id=request.cooperative_id,
        name=request.name,
        area_codes=request.area_codes,
        parent_id=request.parent_id,
        coordinator_ids=request.coordinator_ids,
        policy=request.policy,
        actor_id=request.actor_id,
        uow=deps.uow(),
    )


async def cooperative_update(request: c.CooperativeUpdate, deps: Dependencies) -> c.CooperativeInfo:
    return await cooperatives.update_cooperative(
        cooperative_id=request.cooperative_id,
        name=request.name,
        area_codes=request.area_codes,
        coordinator_ids=request.coordinator_ids,
        policy=request.policy,
        actor_id=request.actor_id,
        uow=deps.uow(),
    )


async def member_register(request: c.MemberRegister, deps: Dependencies) -> c.MemberInfo:
    return await members.register_member(
        uow=deps.uow(),
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


async def member_get(request: c.MemberQuery, deps: Dependencies) -> c.MemberInfo:
    return await members.get_member(
        member_id=request.member_id, actor_id=request.actor_id, uow=deps.uow()
    )


async def member_import_part(request: c.MemberImportPart, deps: Dependencies) -> c.MemberImportView:
    return await member_imports.receive_part(request, uow=deps.uow())


async def member_import_get(request: c.MemberImportQuery, deps: Dependencies) -> c.MemberImportView:
    return await member_imports.get_import(request, uow=deps.uow(), live=deps.imports_running)


async def member_placement(request: c.MemberRef, deps: Dependencies) -> c.MemberPlacement:
    return await members.placement(member_id=request.member_id, uow=deps.uow())


async def member_update(request: c.MemberUpdate, deps: Dependencies) -> c.MemberInfo:
    changes = {
        field: value
        for field, value in request
        if value is not None and field not in ("member_id", "actor_id")
    }
    return await members.update_member(
        member_id=request.member_id, changes=changes, actor_id=request.actor_id, uow=deps.uow()
    )


async def member_find_by_email(request: c.MemberByEmail, deps: Dependencies) -> c.MemberInfo:
    return await members.find_by_email(email=request.email, uow=deps.uow())


async def member_list(request: c.MemberListQuery, deps: Dependencies) -> c.MemberList:
    return await members.list_members(
        uow=deps.uow(),
        actor_id=request.actor_id,
        area_code=request.area_code,
        role=request.role,
        category=request.category,
        q=request.q,
        limit=request.limit,
        offset=request.offset,
    )


async def member_contact(request: c.MemberRef, deps: Dependencies) -> c.MemberContact:
    return await members.member_contact(member_id=request.member_id, uow=deps.uow())


async def member_contacts(request: c.MemberRefs, deps: Dependencies) -> c.MemberContactList:
    return await members.member_contacts(member_ids=request.member_ids, uow=deps.uow())


async def member_export(request: c.MemberQuery, deps: Dependencies) -> c.MemberExport:
    return await members.export_member(
        member_id=request.member_id, actor_id=request.actor_id, uow=deps.uow()
    )


async def member_erase(request: c.MemberQuery, deps: Dependencies) -> c.MemberErasure:
    return await members.erase_member(
        member_id=request.member_id, actor_id=request.actor_id, uow=deps.uow()
    )


async def volunteer_profile_get(request: c.MemberQuery, deps: Dependencies) -> c.VolunteerProfile:
    return await volunteers.get_profile(
        member_id=request.member_id, actor_id=request.actor_id, uow=deps.uow()
    )


async def volunteer_profile_set(
    request: c.VolunteerProfileSet, deps: Dependencies
) -> c.VolunteerProfile:
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
        uow=deps.uow(),
    )


async def member_invitations_due(
    request: c.InvitationsQuery, deps: Dependencies
) -> c.InvitationsDue:
    return await members.invitations_due(limit=request.limit, uow=deps.uow())


async def member_invitation_done(request: c.MemberRef, deps: Dependencies) -> c.MemberRef:
    return await members.invitation_done(member_id=request.member_id, uow=deps.uow())


VERBS: dict[AnyVerb, Translation] = {
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


def register(runtime: ServiceRuntime, make: Callable[[], RegistryUnitOfWork], live: Live) -> None:
    answer(runtime, VERBS | DIRECTORY_VERBS, Dependencies(uow=make, imports_running=live))
