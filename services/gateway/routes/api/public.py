"""What anyone may look up: postcodes, cooperatives, the social map."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.gateway import hsds
from services.gateway.deps import GatewayDep
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.schemas import PublicCooperative, PublicCooperativeList
from services.gateway.usecases import social_map
from services.gateway.usecases.areas import postcode_area
from services.gateway.usecases.cooperatives import public_cooperatives
from shared.areas import AREA_CODE_PATTERN
from shared.categories import Category
from shared.contracts import registry as rc

router = APIRouter(tags=["public"], responses=PROBLEM_RESPONSES)
# The same answer for everyone, nothing personal in it: a browser or proxy may keep it a
# minute (every other answer of the gateway is `no-store`).
PUBLIC_CACHE = "public, max-age=60"


@router.get("/areas/lookup", response_model=rc.PostcodeArea)
async def lookup(
    gateway: GatewayDep,
    postcode: Annotated[str, Query(min_length=4, max_length=10, examples=["3561 AB"])],
) -> rc.PostcodeArea:
    """District and most likely neighbourhood of a postcode, with how sure that is."""
    return await postcode_area(gateway, postcode)


@router.get("/cooperatives", response_model=PublicCooperativeList)
async def cooperatives(
    gateway: GatewayDep,
    response: Response,
    area: Annotated[
        str | None, Query(max_length=12, pattern=AREA_CODE_PATTERN, examples=["GM0344"])
    ] = None,
) -> PublicCooperativeList:
    """The cooperatives, or those whose areas contain `area` (most local first). Who
    coordinates them is not listed."""
    found = await public_cooperatives(gateway, area)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return PublicCooperativeList(
        cooperatives=[
            PublicCooperative.model_validate(c.model_dump(exclude={"coordinator_ids"}))
            for c in found
        ]
    )


@router.get("/directory", response_model=rc.DirectoryResults)
async def directory(
    gateway: GatewayDep,
    response: Response,
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Category | None = None,
    area: Annotated[
        str | None, Query(max_length=12, pattern=AREA_CODE_PATTERN, examples=["GM0344"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> rc.DirectoryResults:
    """The social map: local services and standing offers (Open Referral HSDS shape)."""
    results = await social_map.search(
        gateway,
        rc.DirectorySearch(
            q=q or None, category=category, area_code=area, limit=limit, offset=offset
        ),
    )
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return results


@router.get("/directory/hsds")
async def directory_hsds(gateway: GatewayDep, response: Response) -> dict[str, Any]:
    """The whole social map as Open Referral HSDS 3.0 JSON (a paginated list of services,
    each with its organization, phones, schedules, service areas and location), for a
    municipal social map to import. Only active offers; nothing about members."""
    services = await social_map.whole_map(gateway)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return hsds.export(services)
