"""Who is asking: the acting member's roles and the areas they coordinate."""

from services.registry.domain.authz import Actor
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.errors import Forbidden


async def load_actor(uow: RegistryUnitOfWork, actor_id: str | None) -> Actor | None:
    if actor_id is None:
        return None
    member = await uow.members.get(actor_id)
    if member is None or member.erased:
        raise Forbidden("the acting member is not known")
    roles = frozenset(member.roles)
    areas: list[str] = []
    if "coordinator" in roles:
        _, areas = await uow.repo.coordinated_areas(actor_id)
    return Actor(member_id=actor_id, roles=roles, coordinated_areas=tuple(areas))
