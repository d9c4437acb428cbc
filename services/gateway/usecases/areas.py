"""Where a coordinator works: the areas of the cooperatives they coordinate (all of them
for an admin), and whether a request or an address lies inside them; and where a postcode
lies."""

from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from shared.areas import AreaRef
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import Forbidden


async def coordinator_areas(gateway: Gateway, principal: Principal) -> list[str]:
    """The CBS codes of the areas of the cooperatives this coordinator works for."""
    if not principal.has("coordinator", "admin"):
        raise Forbidden("Only coordinators see the requests of an area.")
    mine = None if principal.has("admin") else principal.member_id
    found = await gateway.rpc.call(rc.COOPERATIVE_LIST, rc.CooperativeQuery(coordinator_id=mine))
    codes = sorted({code for coop in found.cooperatives for code in coop.area_codes})
    if not codes:
        raise Forbidden("You do not coordinate any cooperative yet.")
    return codes


def in_areas(area_codes: list[str], code: str | None) -> bool:
    if not code:
        return False
    return any(AreaRef.from_code(area).contains(code) for area in area_codes)


async def check_in_areas(area_codes: list[str], view: mc.RequestView) -> None:
    if not in_areas(area_codes, view.neighbourhood or view.district or view.municipality):
        raise Forbidden("This request lies outside the areas of your cooperative.")


async def postcode_area(gateway: Gateway, postcode: str) -> rc.PostcodeArea:
    """The district and most likely neighbourhood of a postcode, with how sure that is."""
    return await gateway.rpc.call(rc.AREAS_LOOKUP, rc.PostcodeQuery(postcode=postcode))
