"""Cooperatives: add, change (coordinators, areas, policy), list."""

from services.registry.domain.authz import Actor, require_admin, require_area
from services.registry.domain.cooperatives import (
    Cooperative,
    check_cooperative,
    covers,
    most_local_first,
)
from services.registry.service_layer.actors import load_actor
from services.registry.service_layer.areas import check_code, known_codes
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.contracts.registry import CooperativeInfo
from shared.errors import Conflict, Invalid, NotFound
from shared.events import CooperativeCreated, CooperativeUpdated, MatchingPolicy


def cooperative_info(coop: Cooperative) -> CooperativeInfo:
    return CooperativeInfo(
        cooperative_id=coop.cooperative_id,
        name=coop.name,
        level=coop.level,
        parent_id=coop.parent_id,
        area_codes=list(coop.area_codes),
        coordinator_ids=list(coop.coordinator_ids),
        policy=coop.policy,
    )


def announce(uow: RegistryUnitOfWork, coop: Cooperative, *, created: bool) -> None:
    """cooperative.created / cooperative.updated carry the whole state, in the coop's area."""
    model = CooperativeCreated if created else CooperativeUpdated
    uow.emit(
        model(
            cooperative_id=coop.cooperative_id,
            parent_id=coop.parent_id,
            level=coop.level,
            area_codes=list(coop.area_codes),
            coordinator_ids=list(coop.coordinator_ids),
            policy=coop.policy,
        ),
        coop.area,
    )


async def _check_coordinators(uow: RegistryUnitOfWork, coop: Cooperative) -> None:
    for member_id in coop.coordinator_ids:
        member = await uow.members.get(member_id)
        if member is None or member.erased:
            raise Invalid(
                f"no member {member_id}",
                details={
                    "errors": [{"field": "coordinator_ids", "message": f"no member {member_id}"}]
                },
            )
        if "coordinator" not in member.roles and "admin" not in member.roles:
            raise Invalid(
                f"member {member_id} does not have the coordinator role",
                details={
                    "errors": [
                        {"field": "coordinator_ids", "message": f"{member_id} is not a coordinator"}
                    ]
                },
            )


async def _validated(uow: RegistryUnitOfWork, coop: Cooperative) -> None:
    await known_codes(uow, list(coop.area_codes))
    parent = None
    if coop.parent_id:
        parent = await uow.repo.cooperative(coop.parent_id)
        if parent is None:
            raise Invalid(
                f"no parent cooperative {coop.parent_id}",
                details={"errors": [{"field": "parent_id", "message": "no such cooperative"}]},
            )
    check_cooperative(coop, parent)
    await _check_coordinators(uow, coop)


async def add_cooperative(
    *,
    cooperative_id: str,
    name: str,
    area_codes: list[str],
    uow: RegistryUnitOfWork,
    parent_id: str | None = None,
    coordinator_ids: list[str] | None = None,
    policy: MatchingPolicy | None = None,
    actor_id: str | None = None,
) -> CooperativeInfo:
    coop = Cooperative(
        cooperative_id=cooperative_id,
        name=name.strip(),
        area_codes=list(area_codes),
        parent_id=parent_id,
        coordinator_ids=list(coordinator_ids or []),
        policy=policy or MatchingPolicy(),
    )
    async with uow:
        actor = await load_actor(uow, actor_id)
        require_admin(actor, "add a cooperative")
        if await uow.repo.cooperative(cooperative_id) is not None:
            raise Conflict(f"cooperative {cooperative_id} exists already")
        await _validated(uow, coop)
        await uow.repo.save_cooperative(coop, uow.clock.now(), new=True)
        announce(uow, coop, created=True)
        await uow.commit()
    return cooperative_info(coop)


async def update_cooperative(
    *,
    cooperative_id: str,
    uow: RegistryUnitOfWork,
    name: str | None = None,
    area_codes: list[str] | None = None,
    coordinator_ids: list[str] | None = None,
    policy: MatchingPolicy | None = None,
    actor_id: str | None = None,
) -> CooperativeInfo:
    async with uow:
        actor = await load_actor(uow, actor_id)
        coop = await uow.repo.cooperative(cooperative_id)
        if coop is None:
            raise NotFound(f"no cooperative {cooperative_id}")
        _require_coop_admin(actor, coop, changing_areas=area_codes is not None)
        before = cooperative_info(coop)
        if name is not None:
            coop.name = name.strip()
        if area_codes is not None:
            coop.area_codes = list(area_codes)
        if coordinator_ids is not None:
            coop.coordinator_ids = list(coordinator_ids)
        if policy is not None:
            coop.policy = policy
        await _validated(uow, coop)
        children = [c for c in await uow.repo.cooperatives() if c.parent_id == cooperative_id]
        for child in children:
            outside = [code for code in child.area_codes if not covers(coop.area_codes, code)]
            if outside:
                raise Invalid(
                    f"the areas of {child.cooperative_id} ({', '.join(outside)}) fall outside",
                    details={
                        "errors": [
                            {
                                "field": "area_codes",
                                "message": "a child cooperative would fall outside",
                            }
                        ]
                    },
                )
        after = cooperative_info(coop)
        if after == before:
            return after
        await uow.repo.save_cooperative(coop, uow.clock.now(), new=False)
        if (after.area_codes, after.coordinator_ids, after.policy) != (
            before.area_codes,
            before.coordinator_ids,
            before.policy,
        ):
            announce(uow, coop, created=False)
        await uow.commit()
    return after


def _require_coop_admin(actor: Actor | None, coop: Cooperative, *, changing_areas: bool) -> None:
    """Admins change anything; a coordinator of the cooperative (or of a wider one) may change
    its coordinators and policy, but not its areas."""
    if changing_areas:
        require_admin(actor, "change a cooperative's areas")
        return
    for code in coop.area_codes:
        require_area(actor, code, "change this cooperative")


async def get_cooperative(*, cooperative_id: str, uow: RegistryUnitOfWork) -> CooperativeInfo:
    async with uow:
        coop = await uow.repo.cooperative(cooperative_id)
    if coop is None:
        raise NotFound(f"no cooperative {cooperative_id}")
    return cooperative_info(coop)


async def list_cooperatives(
    *,
    uow: RegistryUnitOfWork,
    area_code: str | None = None,
    coordinator_id: str | None = None,
) -> list[CooperativeInfo]:
    check_code(area_code)
    async with uow:
        coops = await uow.repo.cooperatives(coordinator_id=coordinator_id)
    if area_code:
        coops = most_local_first(c for c in coops if c.covers(area_code))
    return [cooperative_info(c) for c in coops]
