"""The social map's verbs (samen.rpc.registry.*): organisations, offers, the search and a
coordinator's CSV, each translated into a use-case call."""

from typing import Any

from services.registry.domain.directory_rows import REQUIRED
from services.registry.domain.imports import UnreadableFile, rows_from_csv
from services.registry.entrypoints.handling import Dependencies, Translation
from services.registry.service_layer import directory, directory_imports, social_map
from shared.contracts import registry as c
from shared.contracts.verbs import AnyVerb
from shared.errors import Invalid

_REQUEST_ONLY = {"organisation_id", "offer_id", "actor_id"}


def _changes(request: c.OrganisationUpdate | c.OfferUpdate) -> dict[str, Any]:
    return {k: v for k, v in request if k not in _REQUEST_ONLY and v is not None}


async def organisation_add(request: c.OrganisationAdd, deps: Dependencies) -> c.OrganisationInfo:
    return await directory.add_organisation(
        uow=deps.uow(),
        name=request.name,
        description=request.description,
        email=request.email,
        phone=request.phone,
        website=request.website,
        address=request.address,
        area_code=request.area_code,
        manager_emails=request.manager_emails,
        actor_id=request.actor_id,
    )


async def organisation_get(request: c.OrganisationRef, deps: Dependencies) -> c.OrganisationInfo:
    return await directory.get_organisation(uow=deps.uow(), organisation_id=request.organisation_id)


async def organisation_update(
    request: c.OrganisationUpdate, deps: Dependencies
) -> c.OrganisationInfo:
    return await directory.update_organisation(
        uow=deps.uow(),
        organisation_id=request.organisation_id,
        changes=_changes(request),
        actor_id=request.actor_id,
    )


async def organisation_retire(request: c.OrganisationRef, deps: Dependencies) -> c.OrganisationInfo:
    return await directory.retire_organisation(
        uow=deps.uow(), organisation_id=request.organisation_id, actor_id=request.actor_id
    )


async def organisation_list(request: c.OrganisationQuery, deps: Dependencies) -> c.OrganisationList:
    return c.OrganisationList(
        organisations=await directory.list_organisations(
            uow=deps.uow(),
            area_code=request.area_code,
            manager_id=request.manager_id,
            include_retired=request.include_retired,
        )
    )


async def offer_add(request: c.OfferAdd, deps: Dependencies) -> c.OfferInfo:
    return await directory.add_offer(
        uow=deps.uow(),
        organisation_id=request.organisation_id,
        name=request.name,
        description=request.description,
        categories=request.categories,
        languages=request.languages,
        area_codes=request.area_codes,
        opening_hours=request.opening_hours,
        schedule=request.schedule,
        address=request.address,
        location_area_code=request.location_area_code,
        email=request.email,
        phone=request.phone,
        url=request.url,
        actor_id=request.actor_id,
    )


async def offer_get(request: c.OfferRef, deps: Dependencies) -> c.OfferInfo:
    return await directory.get_offer(uow=deps.uow(), offer_id=request.offer_id)


async def offer_update(request: c.OfferUpdate, deps: Dependencies) -> c.OfferInfo:
    return await directory.update_offer(
        uow=deps.uow(),
        offer_id=request.offer_id,
        changes=_changes(request),
        actor_id=request.actor_id,
    )


async def offer_retire(request: c.OfferRef, deps: Dependencies) -> c.OfferInfo:
    return await directory.retire_offer(
        uow=deps.uow(), offer_id=request.offer_id, actor_id=request.actor_id
    )


async def offer_list(request: c.OfferQuery, deps: Dependencies) -> c.OfferList:
    return c.OfferList(
        offers=await directory.list_offers(
            uow=deps.uow(),
            organisation_id=request.organisation_id,
            area_code=request.area_code,
            category=request.category,
            include_retired=request.include_retired,
        )
    )


async def directory_search(request: c.DirectorySearch, deps: Dependencies) -> c.DirectoryResults:
    return await social_map.search_directory(
        uow=deps.uow(),
        q=request.q,
        category=request.category,
        area_code=request.area_code,
        language=request.language,
        limit=request.limit,
        offset=request.offset,
    )


async def directory_import(
    request: c.DirectoryImport, deps: Dependencies
) -> c.DirectoryImportReport:
    try:
        rows = rows_from_csv(request.text, REQUIRED)
    except UnreadableFile as exc:
        raise Invalid(str(exc), details={"field": "file", "reason": "not_csv"}) from None
    return await directory_imports.import_directory(
        rows, uow_factory=deps.uow, actor_id=request.actor_id
    )


DIRECTORY_VERBS: dict[AnyVerb, Translation] = {
    c.ORGANISATION_ADD: organisation_add,
    c.ORGANISATION_GET: organisation_get,
    c.ORGANISATION_UPDATE: organisation_update,
    c.ORGANISATION_RETIRE: organisation_retire,
    c.ORGANISATION_LIST: organisation_list,
    c.OFFER_ADD: offer_add,
    c.OFFER_GET: offer_get,
    c.OFFER_UPDATE: offer_update,
    c.OFFER_RETIRE: offer_retire,
    c.OFFER_LIST: offer_list,
    c.DIRECTORY_SEARCH: directory_search,
    c.DIRECTORY_IMPORT: directory_import,
}
