"""Who is asking: the acting member's roles and the areas they coordinate."""

from services.registry.domain.authz import Actor
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.errors import Forbidden


async def load_actor(uow: RegistryUnitOfWork, actor_id: str | None) -> Actor | None:
    if actor_id is None:
        return None
    row = await uow.repo.member(actor_id)
    if row is None or row["erased_at"] is not None:
        raise Forbidden("the acting member is not known")
    roles = frozenset(row["roles"].split(","))
    areas: list[str] = []
    if "coordinator" in roles:
        _, areas = await uow.repo.coordinated_areas(actor_id)
    return Actor(member_id=actor_id, roles=roles, coordinated_areas=tuple(areas))
