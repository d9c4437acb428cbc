"""`samen up --demo`: Utrecht demo people and requests, seeded through the services' own verbs.

The registry ships the cooperatives of Utrecht; the demo adds an admin, coordinators to the
Overvecht and Oost district cooperatives, volunteers and residents in Overvecht, an account for
each, a few requests, and a social map of Overvecht and Oost (services/gateway/demo_map.py). Seeding
is idempotent: a second start finds everything and adds nothing.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import time, timedelta

from services.gateway.bootstrap import Gateway
from services.gateway.demo_map import seed_social_map
from services.gateway.security import hash_password
from shared.categories import Category
from shared.clock import from_local, to_local
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import Conflict, NotFound, SamenError
from shared.events import AvailabilitySlot
from shared.logging import get_logger

log = get_logger(__name__)

DEMO_PASSWORD = "samen-demo"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    postcode: str
    house_number: str
    roles: tuple[str, ...]
    coordinates_district: str | None = None  # WK code of the district cooperative
    offers: tuple[Category, ...] = ()
    phone: str | None = None
    consents: dict[str, bool] = field(default_factory=lambda: {"matching": True})
    label: str | None = None  # what the login list calls them, if not their last role


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "coordinator.overvecht@samen.demo",
        "Fatima El Amrani",
        "3561 AB",
        "12",
        ("resident", "coordinator"),
        coordinates_district="WK034403",
    ),
    DemoPerson(
        "coordinator.oost@samen.demo",
        "Joris Bakker",
        "3583 AA",
        "5",
        ("resident", "coordinator"),
        coordinates_district="WK034405",
    ),
    # Runs the cooperatives: areas, coordinators, matching policy, channels (/admin).
    DemoPerson(
        "admin@samen.demo",
        "Anouk de Wit",
        "3561 AB",
        "1",
        ("resident", "admin"),
    ),
    DemoPerson(
        "resident@samen.demo",
        "Riet Jansen",
        "3561 AB",
        "81",
        ("resident",),
        phone="0301234567",
        consents={"matching": True, "share_phone": True},
    ),
    # An entrepreneur who keeps her shop's offer on the social map up to date.
    DemoPerson(
        "ondernemer@samen.demo",
        "Yasmina Bouzid",
        "3561 AB",
        "2",
        ("resident",),
        label="organisation",
    ),
    DemoPerson(
        "volunteer1@samen.demo",
        "Sanne de Vries",
        "3561 AB",
        "20",
        ("resident", "volunteer"),
        offers=(Category.groceries, Category.company, Category.digital),
        phone="0612345678",
        consents={"matching": True, "share_phone": True},
    ),
    DemoPerson(
        "volunteer2@samen.demo",
        "Youssef Ouali",
        "3562 AA",
        "3",
        ("resident", "volunteer"),
        offers=(Category.groceries, Category.transport, Category.paperwork),
    ),
    DemoPerson(
        "volunteer3@samen.demo",
        "Kees Smit",
        "3563 AA",
        "40",
        ("resident", "volunteer"),
        offers=(Category.groceries, Category.odd_jobs, Category.company),
    ),
    DemoPerson(
        "volunteer.noordoost@samen.demo",
        "Lotte Visser",
        "3571 AA",
        "9",
        ("resident", "volunteer"),
        offers=(Category.garden, Category.odd_jobs),
    ),
)


def demo_login_lines() -> list[str]:
    lines = ["", "Demo logins (password for each: " + DEMO_PASSWORD + "):"]
    for person in PEOPLE:
        role = person.label or (
            "coordinator" if "coordinator" in person.roles else person.roles[-1]
        )
        lines.append(f"  {role:<12} {person.email:<34} {person.name}")
    return lines


async def _member(gateway: Gateway, person: DemoPerson) -> rc.MemberInfo:
    try:
        return await gateway.rpc.call(rc.MEMBER_FIND_BY_EMAIL, rc.MemberByEmail(email=person.email))
    except NotFound:
        pass
    try:
        return await gateway.rpc.call(
            rc.MEMBER_REGISTER,
            rc.MemberRegister(
                name=person.name,
                email=person.email,
                phone=person.phone,
                postcode=person.postcode,
                house_number=person.house_number,
                roles=list(person.roles),
                consents=person.consents,
            ),
        )
    except Conflict:
        return await gateway.rpc.call(rc.MEMBER_FIND_BY_EMAIL, rc.MemberByEmail(email=person.email))


async def seed(gateway: Gateway) -> dict[str, str]:
    """Create what is missing; returns e-mail -> member id."""
    members: dict[str, str] = {}
    for person in PEOPLE:
        member = await _member(gateway, person)
        members[person.email] = member.member_id
        if await gateway.store.account_by_email(person.email) is None:
            with contextlib.suppress(Conflict):
                await gateway.store.create_account(
                    member_id=member.member_id,
                    email=person.email,
                    password_hash=await hash_password(DEMO_PASSWORD),
                    roles=list(member.roles),
                    language=member.language,
                )
        if person.offers and not await _has_profile(gateway, member.member_id):
            with contextlib.suppress(Conflict):
                await gateway.rpc.call(
                    rc.VOLUNTEER_PROFILE_SET,
                    rc.VolunteerProfileSet(
                        member_id=member.member_id,
                        categories=list(person.offers),
                        availability=[
                            AvailabilitySlot(weekday=day, start="08:00", end="21:00")
                            for day in range(7)
                        ],
                        flexible=True,
                        radius_km=5.0,
                        languages=["nl", "en"],
                    ),
                )
        if person.coordinates_district:
            await _make_coordinator(gateway, member.member_id, person.coordinates_district)
    await _requests(gateway, members["resident@samen.demo"])
    await seed_social_map(gateway)
    return members


async def _has_profile(gateway: Gateway, member_id: str) -> bool:
    try:
        await gateway.rpc.call(
            rc.VOLUNTEER_PROFILE_GET, rc.MemberQuery(member_id=member_id, actor_id=member_id)
        )
    except NotFound:
        return False
    return True


async def _make_coordinator(gateway: Gateway, member_id: str, district: str) -> None:
    found = await gateway.rpc.call(rc.COOPERATIVE_LIST, rc.CooperativeQuery(area_code=district))
    target = next((c for c in found.cooperatives if c.level == "district"), None)
    if target is None or member_id in target.coordinator_ids:
        return
    await gateway.rpc.call(
        rc.COOPERATIVE_UPDATE,
        rc.CooperativeUpdate(
            cooperative_id=target.cooperative_id,
            coordinator_ids=[*target.coordinator_ids, member_id],
        ),
    )


async def _requests(gateway: Gateway, resident_id: str) -> None:
    mine = await gateway.rpc.call(mc.REQUEST_LIST_MINE, mc.MyRequestsQuery(member_id=resident_id))
    if mine.requests:
        return
    now = gateway.clock.now()
    today = to_local(now, gateway.settings.time_zone).date()
    tuesday = from_local(  # next Tuesday, 09:00 on the cooperative's clocks
        today + timedelta(days=(1 - today.weekday()) % 7 or 7),
        time(9, 0),
        gateway.settings.time_zone,
    )
    for category, description, window in (
        (Category.groceries, "Boodschappen halen bij de supermarkt.", True),
        (Category.garden, "De heg in de voortuin knippen.", False),
    ):
        await gateway.rpc.call(
            mc.REQUEST_CREATE,
            mc.RequestCreate(
                requester_id=resident_id,
                category=category,
                description=description,
                needed_from=tuesday if window else None,
                needed_until=tuesday + timedelta(hours=3) if window else None,
                flexible=not window,
            ),
        )


def seed_in_background(gateway: Gateway) -> "asyncio.Task[None]":
    async def run() -> None:
        delay = 1.0
        for _ in range(60):
            try:
                members = await seed(gateway)
            except SamenError as exc:
                log.info("demo data not seeded yet, retrying", reason=exc.message)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            log.info("demo data seeded", members=len(members))
            return
        log.warning("demo data could not be seeded")

    return asyncio.create_task(run())
