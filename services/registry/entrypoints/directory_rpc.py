"""RPC verbs of the social map on samen.rpc.registry.*: organisations, offers, the search and
a coordinator's CSV."""

from collections.abc import Awaitable, Callable
from typing import Any

from services.registry.domain.directory_rows import REQUIRED
from services.registry.domain.imports import UnreadableFile, rows_from_csv
from services.registry.service_layer import directory, directory_imports, social_map
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.contracts import registry as c
from shared.errors import Invalid
from shared.service import ServiceRuntime

_REQUEST_ONLY = {"organisation_id", "offer_id", "actor_id"}


def _changes(request: c.OrganisationUpdate | c.OfferUpdate) -> dict[str, Any]:
    return {k: v for k, v in request if k not in _REQUEST_ONLY and v is not None}


def register(runtime: ServiceRuntime, make: Callable[[], RegistryUnitOfWork]) -> None:
    async def organisation_add(request: c.OrganisationAdd) -> c.OrganisationInfo:
        """Put an organisation on the social map (its area's coordinator or an admin)."""
        return await directory.add_organisation(
            uow=make(),
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

    async def organisation_get(request: c.OrganisationRef) -> c.OrganisationInfo:
        """One organisation, retired or not."""
        return await directory.get_organisation(uow=make(), organisation_id=request.organisation_id)

    async def organisation_update(request: c.OrganisationUpdate) -> c.OrganisationInfo:
        """Change an organisation (its managers, its area's coordinators, an admin)."""
        return await directory.update_organisation(
            uow=make(),
            organisation_id=request.organisation_id,
            changes=_changes(request),
            actor_id=request.actor_id,
        )

    async def organisation_retire(request: c.OrganisationRef) -> c.OrganisationInfo:
        """Take an organisation and its offers off the map (kept for history)."""
        return await directory.retire_organisation(
            uow=make(), organisation_id=request.organisation_id, actor_id=request.actor_id
        )

    async def organisation_list(request: c.OrganisationQuery) -> c.OrganisationList:
        """Organisations (in an area, or managed by a member)."""
        return c.OrganisationList(
            organisations=await directory.list_organisations(
                uow=make(),
                area_code=request.area_code,
                manager_id=request.manager_id,
                include_retired=request.include_retired,
            )
        )

    async def offer_add(request: c.OfferAdd) -> c.OfferInfo:
        """Add a standing offer of an organisation; publishes offer.published."""
        return await directory.add_offer(
            uow=make(),
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

    async def offer_get(request: c.OfferRef) -> c.OfferInfo:
        """One standing offer, retired or not."""
        return await directory.get_offer(uow=make(), offer_id=request.offer_id)

    async def offer_update(request: c.OfferUpdate) -> c.OfferInfo:
        """Change a standing offer."""
        return await directory.update_offer(
            uow=make(),
            offer_id=request.offer_id,
            changes=_changes(request),
            actor_id=request.actor_id,
        )

    async def offer_retire(request: c.OfferRef) -> c.OfferInfo:
        """Take a standing offer off the map (kept for history)."""
        return await directory.retire_offer(
            uow=make(), offer_id=request.offer_id, actor_id=request.actor_id
        )

    async def offer_list(request: c.OfferQuery) -> c.OfferList:
        """Standing offers (of an organisation, in an area, of a category)."""
        return c.OfferList(
            offers=await directory.list_offers(
                uow=make(),
                organisation_id=request.organisation_id,
                area_code=request.area_code,
                category=request.category,
                include_retired=request.include_retired,
            )
        )

    async def directory_search(request: c.DirectorySearch) -> c.DirectoryResults:
        """Search the social map by words, category, area and language (HSDS-shaped)."""
        return await social_map.search_directory(
            uow=make(),
            q=request.q,
            category=request.category,
            area_code=request.area_code,
            language=request.language,
            limit=request.limit,
            offset=request.offset,
        )

    async def directory_import(request: c.DirectoryImport) -> c.DirectoryImportReport:
        """Put a CSV of organisations and their offers on the map; rows refused are listed."""
        try:
            rows = rows_from_csv(request.text, REQUIRED)
        except UnreadableFile as exc:
            raise Invalid(str(exc), details={"field": "file", "reason": "not_csv"}) from None
        return await directory_imports.import_directory(
            rows, uow_factory=make, actor_id=request.actor_id
        )

    verbs: dict[str, Callable[..., Awaitable[Any]]] = {
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
    for verb, handler in verbs.items():
        runtime.answer(verb, handler)
