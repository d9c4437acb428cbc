"""A registry held in memory for its use cases: Utrecht's areas and cooperatives seeded as at
the registry's first start, a frozen clock, and helpers that register members through the use
cases themselves."""

import copy
from datetime import UTC, datetime

from services.registry.service_layer import cooperatives, members, volunteers
from services.registry.service_layer.reference import seed
from shared.clock import FrozenClock
from shared.contracts.registry import MemberInfo, VolunteerProfile
from tests.unit.registry.fakes import FakeDatabase, Tables

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
OVERVECHT_ZUID = "overvecht-zuid"  # a neighbourhood cooperative of the seed
TAAG = "3561"  # a PC4 of Taag- en Rubicondreef, Overvecht-Zuid
OOST = "3581"  # a PC4 in Oost, outside Overvecht

_seeded: Tables | None = None


class World:
    def __init__(self) -> None:
        self.clock = FrozenClock(START)
        self.db = FakeDatabase(self.clock)

    async def seed(self) -> None:
        global _seeded
        if _seeded is None:
            await seed(self.db.uow)
            _seeded = copy.deepcopy(self.db.tables)
        self.db.tables = copy.deepcopy(_seeded)
        self.db.events.clear()

    async def register(
        self,
        name: str = "Ans de Vries",
        email: str | None = "ans@example.nl",
        postcode: str = f"{TAAG} AB",
        **fields: object,
    ) -> MemberInfo:
        return await members.register_member(
            uow=self.db.uow(),
            name=name,
            email=email,
            postcode=postcode,
            house_number="12",
            **fields,  # type: ignore[arg-type]
        )

    async def coordinator(
        self, cooperative_id: str = OVERVECHT_ZUID, email: str = "fatima@example.nl"
    ) -> MemberInfo:
        """A resident given the coordinator role (a trusted call) who joins the cooperative."""
        member = await self.register("Fatima Bakr", email, f"{TAAG} CD")
        await members.update_member(
            member_id=member.member_id,
            changes={"roles": ["resident", "coordinator"]},
            uow=self.db.uow(),
        )
        coop = await cooperatives.get_cooperative(cooperative_id=cooperative_id, uow=self.db.uow())
        await cooperatives.update_cooperative(
            cooperative_id=cooperative_id,
            coordinator_ids=[*coop.coordinator_ids, member.member_id],
            uow=self.db.uow(),
        )
        return await members.get_member(member_id=member.member_id, uow=self.db.uow())

    async def offer_help(
        self, member_id: str, categories: tuple[str, ...] = ("groceries",), **fields: object
    ) -> VolunteerProfile:
        """A volunteer profile, flexible unless told otherwise."""
        return await volunteers.set_profile(
            member_id=member_id,
            uow=self.db.uow(),
            categories=list(categories),
            **{"flexible": True, **fields},  # type: ignore[arg-type]
        )
