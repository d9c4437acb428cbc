"""Notify's use cases run on the unit of work held in memory (fakes.py), with the registry,
the mailbox and the Apprise channel held in memory too: events are handled as the consumer
handles them (one unit of work, committed), a delivery round runs as the worker runs one, and
the API's and the tasks' use cases are called as their verbs call them."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from services.notify.adapters.rendering import Renderer
from services.notify.domain.links import LinkSigner
from services.notify.service_layer.api import NotifyApi
from services.notify.service_layer.delivery import DeliveryConfig, DeliveryWorker
from services.notify.service_layer.passing_on import PassingOn
from services.notify.service_layer.recording import Recorder
from services.notify.service_layer.uow import NotifyUnitOfWork
from shared.areas import AreaRef
from shared.categories import Category
from shared.clock import FrozenClock
from shared.contracts.registry import CooperativeInfo, MemberContact
from shared.events import (
    Envelope,
    EventData,
    MatchingPolicy,
    MatchProposed,
    RequestCreated,
    envelope,
)
from tests.unit.notify.fakes import FakeApprise, FakeDatabase, FakeMailbox, FakeRegistry

# Tuesday 8 December 2026, 10:00 UTC: 11:00 in Utrecht, outside the default quiet hours.
MORNING = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
TAAG = "BU03440311"
AREA = AreaRef.from_code(TAAG)
PUBLIC_URL = "https://samen.example"


class World:
    def __init__(self) -> None:
        self.clock = FrozenClock(MORNING)
        self.db = FakeDatabase(self.clock)
        self.registry = FakeRegistry()
        self.mailbox = FakeMailbox()
        self.apprise = FakeApprise()
        self.signer = LinkSigner("secret", PUBLIC_URL)
        self.recorder = Recorder()
        self.woken = 0
        self.worker = DeliveryWorker(
            uow=self.db.uow,
            clock=self.clock,
            registry=self.registry,
            renderer=Renderer(),
            email=self.mailbox,
            apprise=self.apprise,
            signer=self.signer,
            public_url=PUBLIC_URL,
            mail_domain="samen.example",
            config=DeliveryConfig(retry_base_seconds=60),
        )
        self.api = NotifyApi(
            uow=self.db.uow,
            clock=self.clock,
            signer=self.signer,
            registry=self.registry,
            wake=self._wake,
        )
        self.tasks = PassingOn(uow=self.db.uow, clock=self.clock, registry=self.registry)

    def _wake(self) -> None:
        self.woken += 1

    # -- who is there -------------------------------------------------------------------

    def member(
        self,
        member_id: str,
        first_name: str,
        *,
        email: bool = True,
        via: str | None = None,
        phone: str | None = None,
    ) -> MemberContact:
        contact = MemberContact(
            member_id=member_id,
            name=f"{first_name} de Vries",
            first_name=first_name,
            email=f"{member_id}@example.nl" if email else None,
            phone=phone,
            via_coordinator_id=via,
            neighbourhood=TAAG,
        )
        self.registry.members[member_id] = contact
        return contact

    def cooperative(self, cooperative_id: str, coordinators: list[str]) -> None:
        self.registry.cooperatives[cooperative_id] = CooperativeInfo(
            cooperative_id=cooperative_id,
            name="Buurtcoöperatie Overvecht",
            level="district",
            area_codes=[TAAG],
            coordinator_ids=coordinators,
            policy=MatchingPolicy(),
        )

    # -- what happens -------------------------------------------------------------------

    async def handle(
        self,
        handler: Callable[[Envelope, NotifyUnitOfWork], Awaitable[None]],
        data: EventData | Envelope,
    ) -> Envelope:
        """As the consumer: the handler in a unit of work it commits. An envelope given is
        handled again as it is (a redelivery)."""
        event = (
            data
            if isinstance(data, Envelope)
            else envelope(data, source="matching", area=AREA, occurred_at=self.clock.now())
        )
        async with self.db.uow() as uow:
            await handler(event, uow)
            await uow.commit()
        return event

    async def deliver(self) -> int:
        """One delivery round to the end: how many notifications were due."""
        return await self.worker.run_once()

    async def asked_for_help(
        self,
        request_id: str = "req-1",
        *,
        requester: str = "gerrit",
        needed_in: timedelta = timedelta(days=2),
    ) -> None:
        await self.handle(
            self.recorder.request_created,
            RequestCreated(
                request_id=request_id,
                requester_id=requester,
                category=Category.groceries,
                needed_from=self.clock.now() + needed_in,
            ),
        )

    async def proposed(
        self,
        volunteer: str,
        *,
        request_id: str = "req-1",
        proposal_id: str | None = None,
        urgent: bool = False,
        needed_in: timedelta = timedelta(days=2),
    ) -> Envelope:
        return await self.handle(
            self.recorder.match_proposed,
            MatchProposed(
                proposal_id=proposal_id or f"prop-{volunteer}",
                request_id=request_id,
                volunteer_id=volunteer,
                category=Category.groceries,
                round=1,
                urgent=urgent,
                expires_at=self.clock.now() + timedelta(hours=24),
                needed_from=self.clock.now() + needed_in,
            ),
        )
