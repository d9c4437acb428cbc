"""Who may act on whom: a member on themselves, an admin on everyone, a coordinator within the
areas of the cooperatives they coordinate."""

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
