"""A coordinator's CSV of organisations and their offers, put on the social map row by row
through the same use cases (and the same checks of who may) as the pages use."""

from collections.abc import Callable, Iterable, Mapping

from services.registry.domain.directory import fold
from services.registry.domain.directory_rows import OfferRow, parse_offer_row
from services.registry.service_layer import directory
from services.registry.service_layer.imports import Rejected
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.contracts.registry import (
    IMPORT_REJECTIONS_SHOWN,
    DirectoryImportReport,
    ImportRejection,
    OpeningHours,
)
from shared.errors import Forbidden, Invalid, NotFound

MUNICIPALITY = "GM0344"  # the areas named in a file are looked up in this municipality
OUTSIDE = "areas: this lies outside your cooperative's areas"


async def _area_names(uow: RegistryUnitOfWork) -> dict[str, str]:
    """Folded name -> code; districts win over neighbourhoods of the same name."""
    async with uow:
        areas = await uow.repo.list_areas(municipality_code=MUNICIPALITY)
    names: dict[str, str] = {}
    for level in ("neighbourhood", "district"):
        names.update({fold(a.name): a.code for a in areas if a.level == level})
    return names


def _reason(exc: Invalid) -> str:
    errors = (exc.details or {}).get("errors") or []
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return f"{first.get('field')}: {first.get('message')}"
    return exc.message


async def import_directory(
    rows: Iterable[Mapping[str, str | None]],
    *,
    uow_factory: Callable[[], RegistryUnitOfWork],
    actor_id: str | None = None,
    first_line: int = 2,
) -> DirectoryImportReport:
    names = await _area_names(uow_factory())
    rejected: list[Rejected] = []
    parsed: list[OfferRow] = []
    records = list(rows)
    for index, record in enumerate(records):
        try:
            parsed.append(
                parse_offer_row(
                    record, line=first_line + index, area_named=lambda n: names.get(fold(n))
                )
            )
        except Invalid as exc:
            rejected.append(Rejected(first_line + index, _reason(exc)))
    orgs_added = offers_added = already = 0
    for row in parsed:
        try:
            added_org, added_offer = await _put(row, uow_factory, actor_id)
        except Forbidden:
            rejected.append(Rejected(row.line, OUTSIDE))
        except (Invalid, NotFound) as exc:
            rejected.append(Rejected(row.line, _reason(exc) if isinstance(exc, Invalid) else ""))
        else:
            orgs_added += added_org
            offers_added += added_offer
            already += not added_offer
    rejected.sort(key=lambda r: r.line)
    return DirectoryImportReport(
        rows=len(records),
        organisations_added=orgs_added,
        offers_added=offers_added,
        already_there=already,
        rejected=[
            ImportRejection(line=r.line, reason=r.reason[:500])
            for r in rejected[:IMPORT_REJECTIONS_SHOWN]
        ],
        rejected_count=len(rejected),
    )


async def _put(
    row: OfferRow, uow_factory: Callable[[], RegistryUnitOfWork], actor_id: str | None
) -> tuple[bool, bool]:
    """(organisation added, offer added); an organisation or offer of the same name is
    there already: running a file again adds nothing twice."""
    base = row.area_codes[0]
    uow = uow_factory()
    async with uow:
        org = await uow.directory.organisation_named(row.organisation, base)
    added_org = org is None
    if org is None:
        info = await directory.add_organisation(
            uow=uow_factory(),
            name=row.organisation,
            area_code=base,
            manager_emails=row.managers,
            actor_id=actor_id,
            **row.organisation_fields,  # type: ignore[arg-type]
        )
        organisation_id = info.organisation_id
    else:
        organisation_id = org.organisation_id
        offers = await directory.list_offers(uow=uow_factory(), organisation_id=organisation_id)
        if any(o.name.lower() == row.offer.lower() for o in offers):
            return False, False
    await directory.add_offer(
        uow=uow_factory(),
        organisation_id=organisation_id,
        name=row.offer,
        categories=row.categories,
        area_codes=row.area_codes,
        languages=row.languages,
        opening_hours=[OpeningHours(**h.as_dict()) for h in row.hours],
        actor_id=actor_id,
        **row.offer_fields,  # type: ignore[arg-type]
    )
    return added_org, True
