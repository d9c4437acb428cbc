"""Who may act on whom: a member on themselves, an admin on everyone, a coordinator within the
areas of the cooperatives they coordinate."""

from collections.abc import Sequence
from dataclasses import dataclass

from shared.errors import Forbidden

from .cooperatives import covers


@dataclass(frozen=True)
class Actor:
    member_id: str
    roles: frozenset[str]
    coordinated_areas: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_coordinator(self) -> bool:
        return "coordinator" in self.roles and bool(self.coordinated_areas)

    def covers(self, area_code: str | None) -> bool:
        return area_code is not None and covers(self.coordinated_areas, area_code)


def may_manage(actor: Actor | None, *, member_id: str | None, area_code: str | None) -> bool:
    """`actor=None` is a trusted internal caller."""
    if actor is None or actor.is_admin:
        return True
    if member_id is not None and actor.member_id == member_id:
        return True
    return actor.is_coordinator and actor.covers(area_code)


def require_manage(actor: Actor | None, *, member_id: str | None, area_code: str | None) -> None:
    if not may_manage(actor, member_id=member_id, area_code=area_code):
        raise Forbidden("you may only act for yourself or for members in your cooperative's area")


def require_area(actor: Actor | None, area_code: str | None, what: str) -> None:
    """Coordinators act within their areas; admins and internal callers anywhere."""
    if actor is None or actor.is_admin:
        return
    if actor.is_coordinator and actor.covers(area_code):
        return
    raise Forbidden(f"only an admin or a coordinator of this area may {what}")


def require_admin(actor: Actor | None, what: str) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden(f"only an admin may {what}")


# ----------------------------------------------------------------- the social map
# An organisation's account ("organisation" role) is a member who manages it: a coordinator
# of the organisation's area names them by e-mail. Managers keep their organisation and its
# standing offers up to date; coordinators do so within their areas; admins everywhere.


def require_list_organisation(actor: Actor | None, area_code: str) -> None:
    """Who may put a new organisation on the map: its area's coordinator (or an admin)."""
    require_area(actor, area_code, "add an organisation here")


def may_edit_organisation(actor: Actor | None, *, managers: Sequence[str], area_code: str) -> bool:
    if actor is None or actor.is_admin or actor.member_id in managers:
        return True
    return actor.is_coordinator and actor.covers(area_code)


def require_edit_organisation(
    actor: Actor | None, *, managers: Sequence[str], area_code: str
) -> None:
    if not may_edit_organisation(actor, managers=managers, area_code=area_code):
        raise Forbidden("only the organisation's managers, its area's coordinators or an admin")


def require_name_managers(actor: Actor | None, area_code: str) -> None:
    """Who manages an organisation is decided by its area's coordinators (or an admin)."""
    require_area(actor, area_code, "name an organisation's managers")


def may_edit_offer(actor: Actor | None, *, managers: Sequence[str], served: Sequence[str]) -> bool:
    """An offer: its organisation's managers, or a coordinator of every area it serves."""
    if actor is None or actor.is_admin or actor.member_id in managers:
        return True
    return actor.is_coordinator and bool(served) and all(actor.covers(c) for c in served)


def require_edit_offer(
    actor: Actor | None, *, managers: Sequence[str], served: Sequence[str]
) -> None:
    if not may_edit_offer(actor, managers=managers, served=served):
        raise Forbidden("only the organisation's managers, its area's coordinators or an admin")
