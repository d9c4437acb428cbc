"""Matching's use cases run on the unit of work held in memory (fakes.py): members and
cooperatives come in as the registry's events would bring them, and each use case runs as the
RPC entrypoint runs it, in a fresh unit of work tried again after a lost race."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from services.matching.adapters.centroids import Centroids
from services.matching.service_layer import registry_events
from services.matching.service_layer.uow import MatchingUnitOfWork, retrying
from services.matching.service_layer.usecases import Context
from shared.areas import AreaRef
from shared.categories import Category
from shared.clock import FrozenClock
from shared.contracts import matching as c
from shared.events import (
    CooperativeCreated,
    Envelope,
    EventData,
    MatchingPolicy,
    MemberRegistered,
    VolunteerProfileUpdated,
    envelope,
)
from tests.unit.matching.fakes import FakeDatabase

T = TypeVar("T")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Utrecht
CENTROIDS = Centroids.from_csv()

OVERVECHT = "WK034403"
TAAG = "BU03440311"  # Overvecht
WOLGA = "BU03440312"  # Overvecht, ~0.7 km from Taag
NOORDOOST = "WK034404"
VOGELENBUURT = "BU03440411"  # Noordoost, ~1.5 km from Taag
OOG_IN_AL = "BU03440112"  # West, ~4 km from Taag


class World:
    def __init__(self) -> None:
        self.clock = FrozenClock(START)
        self.db = FakeDatabase(self.clock)
        self.ctx = Context(clock=self.clock, centroids=CENTROIDS)

    async def run(self, use_case: Callable[[MatchingUnitOfWork], Awaitable[T]]) -> T:
        return await retrying(self.db.uow, use_case)

    async def call(self, use_case: Callable[..., Awaitable[T]], request: Any, **options: Any) -> T:
        """A verb's use case, with the service's context."""
        return await self.run(lambda uow: use_case(request, uow=uow, ctx=self.ctx, **options))

    async def registry_says(
        self,
        handle: Callable[[Envelope, MatchingUnitOfWork], Awaitable[None]],
        data: EventData,
        code: str,
    ) -> None:
        event = envelope(
            data, source="registry", area=AreaRef.from_code(code), occurred_at=self.clock.now()
        )
        async with self.db.uow() as uow:
            await handle(event, uow)
            await uow.commit()

    async def resident(self, member_id: str, code: str) -> None:
        await self.registry_says(
            registry_events.member_registered,
            MemberRegistered(member_id=member_id, roles=["resident"]),
            code,
        )

    async def volunteer(
        self, member_id: str, code: str, categories: Sequence[str] = ("groceries",), **profile: Any
    ) -> None:
        await self.registry_says(
            registry_events.member_registered,
            MemberRegistered(member_id=member_id, roles=["resident", "volunteer"]),
            code,
        )
        fields: dict[str, Any] = {
            "member_id": member_id,
            "categories": [Category(c) for c in categories],
            "radius_km": 5.0,
            "flexible": True,
            "matching_consent": True,
            **profile,
        }
        await self.registry_says(
            registry_events.profile_updated_handler(self.ctx),
            VolunteerProfileUpdated(**fields),
            code,
        )

    async def cooperative(
        self,
        cooperative_id: str,
        level: Literal["municipality", "district", "neighbourhood"],
        codes: list[str],
        coordinators: list[str],
        policy: MatchingPolicy | None = None,
    ) -> None:
        await self.registry_says(
            registry_events.cooperative_changed,
            CooperativeCreated(
                cooperative_id=cooperative_id,
                level=level,
                area_codes=codes,
                coordinator_ids=coordinators,
                policy=policy or MatchingPolicy(),
            ),
            codes[0],
        )


def ask(requester_id: str = "res", **fields: Any) -> c.RequestCreate:
    defaults: dict[str, Any] = {
        "category": Category.groceries,
        "description": "Boodschappen bij de supermarkt",
        "flexible": True,
    }
    return c.RequestCreate(requester_id=requester_id, **{**defaults, **fields})


def answer(proposal: c.ProposalView) -> c.ProposalAnswer:
    return c.ProposalAnswer(proposal_id=proposal.proposal_id, volunteer_id=proposal.volunteer_id)
