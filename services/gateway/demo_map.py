"""The demo's social map of Overvecht and Oost: fictional organisations and their standing
offers, each marked "(demo)" so nobody takes them for real ones. Seeded through the
registry's own verbs; a second start finds them by name and adds nothing."""

from dataclasses import dataclass

from services.gateway.bootstrap import Gateway
from shared.categories import Category
from shared.contracts import registry as rc

DEMO_MARK = " (demo)"
MO, TU, WE, TH, FR, SA, SU = range(7)


@dataclass(frozen=True)
class DemoOffer:
    name: str
    description: str
    categories: tuple[Category, ...]
    hours: tuple[tuple[int, str, str], ...]
    schedule: str = ""
    phone: str | None = None


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    area_code: str  # where it is based; its offers serve its district
    description: str
    phone: str
    address: str
    offers: tuple[DemoOffer, ...]
    manager_email: str | None = None  # a demo member who keeps it up to date


OVERVECHT, OOST = "WK034403", "WK034405"

ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "Repair Café Overvecht",
        OVERVECHT,
        "Vrijwilligers repareren samen met u kapotte spullen.",
        "030 200 1101",
        "Zamenhofdreef 20, Utrecht",
        (
            DemoOffer(
                "Repair Café",
                "Neem uw kapotte lamp, broek of fiets mee. Samen maken we het weer.",
                (Category.odd_jobs,),
                ((SA, "10:00", "13:00"),),
                "elke eerste zaterdag van de maand",
            ),
        ),
    ),
    DemoOrganisation(
        "Voedselbank Uitgiftepunt Overvecht",
        OVERVECHT,
        "Uitgiftepunt van de voedselbank.",
        "030 200 1102",
        "Wolgadreef 100, Utrecht",
        (
            DemoOffer(
                "Voedselpakket ophalen",
                "Met een verwijzing haalt u hier elke week een voedselpakket.",
                (Category.groceries,),
                ((TU, "13:00", "15:00"), (FR, "10:00", "12:00")),
            ),
        ),
    ),
    DemoOrganisation(
        "Buurthuis De Dreef",
        OVERVECHT,
        "Het buurthuis voor iedereen in Overvecht.",
        "030 200 1103",
        "Donaudreef 5, Utrecht",
        (
            DemoOffer(
                "Koffieochtend",
                "Een kop koffie en een praatje. Iedereen is welkom.",
                (Category.company,),
                ((MO, "10:00", "12:00"), (TH, "10:00", "12:00")),
            ),
            DemoOffer(
                "Hulp bij formulieren",
                "Vrijwilligers helpen u met brieven en formulieren.",
                (Category.paperwork,),
                ((WE, "13:30", "15:30"),),
                phone="030 200 1113",
            ),
        ),
    ),
    DemoOrganisation(
        "Buurtsuper Overvecht",
        OVERVECHT,
        "Supermarkt in het winkelcentrum.",
        "030 200 1104",
        "Winkelcentrum Overvecht, Utrecht",
        (
            DemoOffer(
                "Boodschappen aan huis",
                "Bestel voor 12 uur, dan bezorgen wij uw boodschappen dezelfde middag.",
                (Category.groceries,),
                ((TU, "14:00", "17:00"), (FR, "14:00", "17:00")),
            ),
        ),
        manager_email="ondernemer@samen.demo",
    ),
    DemoOrganisation(
        "Bibliotheek Overvecht",
        OVERVECHT,
        "De bibliotheek in het winkelcentrum.",
        "030 200 1105",
        "Zamenhofdreef 1, Utrecht",
        (
            DemoOffer(
                "Digitaal spreekuur",
                "Hulp bij uw telefoon, tablet of DigiD.",
                (Category.digital,),
                ((TH, "14:00", "16:00"),),
            ),
        ),
    ),
    DemoOrganisation(
        "Wijkcentrum Oost",
        OOST,
        "Activiteiten en hulp in Oost.",
        "030 200 1201",
        "Oudwijk 10, Utrecht",
        (
            DemoOffer(
                "Samen eten",
                "Elke week koken vrijwilligers een warme maaltijd.",
                (Category.meals, Category.company),
                ((WE, "17:30", "19:30"),),
            ),
            DemoOffer(
                "Wandelgroep",
                "Een rustige wandeling door het park, met koffie na afloop.",
                (Category.company,),
                ((TU, "10:00", "11:30"),),
            ),
        ),
    ),
    DemoOrganisation(
        "Bibliotheek Oost",
        OOST,
        "Uw bibliotheek in Oost.",
        "030 200 1202",
        "Biltstraat 50, Utrecht",
        (
            DemoOffer(
                "Klik en Tik: hulp met de computer",
                "Leer stap voor stap e-mailen en internetten.",
                (Category.digital,),
                ((MO, "14:00", "16:00"),),
            ),
        ),
    ),
    DemoOrganisation(
        "Fietsmaatjes Oost",
        OOST,
        "Samen fietsen op een duofiets.",
        "030 200 1203",
        "Oudwijk 10, Utrecht",
        (
            DemoOffer(
                "Fietstocht op de duofiets",
                "Een vrijwilliger fietst met u mee. Zo komt u weer buiten.",
                (Category.transport, Category.company),
                ((TH, "10:00", "12:00"), (SA, "13:00", "15:00")),
            ),
        ),
    ),
)


async def seed_social_map(gateway: Gateway) -> int:
    """Add the demo organisations and offers that are missing; returns how many offers the
    demo has on the map."""
    offers = 0
    for demo in ORGANISATIONS:
        name = demo.name + DEMO_MARK
        listed = await gateway.rpc.call(
            rc.ORGANISATION_LIST,
            rc.OrganisationQuery(area_code=demo.area_code, include_retired=True),
        )
        org = next((o for o in listed.organisations if o.name == name), None)
        if org is None:
            org = await gateway.rpc.call(
                rc.ORGANISATION_ADD,
                rc.OrganisationAdd(
                    name=name,
                    area_code=demo.area_code,
                    description=demo.description + "\n(demo)",
                    phone=demo.phone,
                    address=demo.address,
                    manager_emails=[demo.manager_email] if demo.manager_email else [],
                ),
            )
        kept = await gateway.rpc.call(
            rc.OFFER_LIST, rc.OfferQuery(organisation_id=org.organisation_id)
        )
        have = {o.name for o in kept.offers}
        for offer in demo.offers:
            offers += 1
            if offer.name + DEMO_MARK in have:
                continue
            await gateway.rpc.call(
                rc.OFFER_ADD,
                rc.OfferAdd(
                    organisation_id=org.organisation_id,
                    name=offer.name + DEMO_MARK,
                    description=offer.description,
                    categories=list(offer.categories),
                    area_codes=[demo.area_code],
                    opening_hours=[
                        rc.OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in offer.hours
                    ],
                    schedule=offer.schedule,
                    address=demo.address,
                    location_area_code=demo.area_code,
                    phone=offer.phone,
                ),
            )
    return offers
