"""Becoming a volunteer and changing the profile, as a use case over stand-in services: the
certificate of conduct a coordinator recorded stays, whether the page or the API saves."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from services.gateway.adapters.store import Account
from services.gateway.principal import Principal
from services.gateway.usecases import volunteers
from shared.contracts import registry as rc
from shared.contracts.verbs import AnyVerb
from shared.errors import NotFound

RECORDED = date(2026, 3, 2)  # the day of the certificate a coordinator recorded


@dataclass
class FakeRegistry:
    profile: rc.VolunteerProfile | None = None
    sent: list[rc.VolunteerProfileSet] = field(default_factory=list)

    async def call(
        self, verb: AnyVerb, request: Any = None, *, timeout: float | None = None
    ) -> Any:
        if verb == rc.VOLUNTEER_PROFILE_GET:
            if self.profile is None:
                raise NotFound("no volunteer profile")
            return self.profile
        if verb == rc.VOLUNTEER_PROFILE_SET:
            self.sent.append(request)
            self.profile = rc.VolunteerProfile(
                **request.model_dump(exclude={"actor_id"}),
                matching_consent=True,
                updated_at=datetime(2026, 3, 3, tzinfo=UTC),
            )
            return self.profile
        if verb == rc.MEMBER_UPDATE:
            return None
        raise AssertionError(f"unexpected call: {verb}")


@dataclass
class FakeStore:
    roles: dict[str, list[str]] = field(default_factory=dict)

    async def set_roles_for_member(self, member_id: str, roles: list[str]) -> None:
        self.roles[member_id] = roles


@dataclass
class FakeGateway:
    rpc: FakeRegistry
    store: FakeStore = field(default_factory=FakeStore)


def volunteer(roles: list[str]) -> Principal:
    account = Account(
        account_id="acc-vera",
        member_id="vera",
        email="vera@example.nl",
        password_hash="",
        roles=roles,
        language="nl",
    )
    return Principal(account=account, via="bearer", token_hash="", csrf_secret="")


OFFER = rc.VolunteerOffer(categories=["groceries"], flexible=True, radius_km=3)


async def test_saving_the_profile_keeps_the_certificate_on_file() -> None:
    registry = FakeRegistry()
    gateway: Any = FakeGateway(registry)
    first = await volunteers.offer_help(gateway, volunteer(["resident"]), OFFER)
    assert first.certificate_of_conduct_date is None
    assert gateway.store.roles == {"vera": ["resident", "volunteer"]}
    # A coordinator records the certificate; then Vera changes her radius.
    registry.profile = first.model_copy(update={"certificate_of_conduct_date": RECORDED})
    wider = OFFER.model_copy(update={"radius_km": 5})
    saved = await volunteers.offer_help(gateway, volunteer(["resident", "volunteer"]), wider)
    assert saved.radius_km == 5
    assert saved.certificate_of_conduct_date == RECORDED
    assert [s.certificate_of_conduct_date for s in registry.sent] == [None, RECORDED]


async def test_the_page_hands_over_the_profile_it_read_and_it_is_not_read_again() -> None:
    registry = FakeRegistry()
    gateway: Any = FakeGateway(registry)
    first = await volunteers.offer_help(gateway, volunteer(["resident"]), OFFER)
    on_file = first.model_copy(update={"certificate_of_conduct_date": RECORDED})
    registry.profile = None  # a second read would find nothing and lose the date
    volunteer_now = volunteer(["resident", "volunteer"])
    saved = await volunteers.offer_help(gateway, volunteer_now, OFFER, on_file=on_file)
    assert saved.certificate_of_conduct_date == RECORDED
