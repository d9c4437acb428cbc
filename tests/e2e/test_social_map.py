"""The social map kept up to date by those who run it: an entrepreneur adds an offer with
opening hours in the browser and it shows on the public map with her shop's phone; the
API for organisations and offers, who may use it, the HSDS export and a coordinator's CSV."""

from collections.abc import Callable
from contextlib import closing
from typing import Any

import httpx

from services.gateway.demo_map import DEMO_MARK, ORGANISATIONS
from tests.conftest import RunningSystem
from tests.e2e.conftest import Steps
from tests.e2e.test_demo import DEMO_PASSWORD, csrf_token, demo_system, login, web_session
from tests.support import wait_until

__all__ = ["demo_system"]  # the demo's running system, a fixture shared with test_demo

SHOP = "Buurtsuper Overvecht" + DEMO_MARK
SHOP_PHONE = "+31302001104"  # demo_map: the shop's number, shown for offers without one


def seeded(system: RunningSystem) -> None:
    def map_there() -> bool:
        found = httpx.get(f"{system.url}/api/v1/directory", params={"q": "demo", "limit": 200})
        total = found.json()["total"] if found.status_code == 200 else 0
        return total >= sum(len(o.offers) for o in ORGANISATIONS)

    wait_until(map_there, timeout=90, message="the demo's social map was not seeded")


def test_an_entrepreneur_adds_an_offer_with_opening_hours_and_it_shows_on_the_map(
    demo_system: RunningSystem, browser: Any, steps: Callable[[int], Steps]
) -> None:
    seeded(demo_system)
    step = steps(390)
    context = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{demo_system.url}/login")
        page.fill("#email", "ondernemer@samen.demo")
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_load_state()
        page.goto(f"{demo_system.url}/map")
        page.click("a[href='/organisations']")
        page.wait_for_url("**/organisations")
        step.check(page, "my-organisations")
        page.click(f"a:has-text('{SHOP}')")
        page.wait_for_url("**/organisations/*")
        step.check(page, "my-shop")
        page.click("a:has-text('Aanbod toevoegen')")
        page.wait_for_url("**/offers/new")
        step.check(page, "new-offer")
        # Areas are picked by name: no field to type a CBS code in.
        assert page.locator("input[name*=area]:not([type=checkbox])").count() == 0
        assert page.locator("label[for=area-WK034403]").text_content() == "Overvecht (hele wijk)"
        page.fill("#name", "Fruit aan huis")
        page.fill("#description", "Elke week een krat vers fruit, bij u thuis gebracht.")
        page.check("#cat-groceries")
        page.click("summary:has-text('Overvecht')")
        page.check("#area-WK034403")
        page.select_option("#hours-day-1", "1")  # Tuesday
        page.fill("#hours-from-1", "10:00")
        page.fill("#hours-to-1", "12:00")
        page.select_option("#hours-day-2", "4")  # Friday, closing before it opens
        page.fill("#hours-from-2", "16:00")
        page.fill("#hours-to-2", "14:00")
        page.click("form.stack button[type=submit]:has-text('Opslaan')")
        page.wait_for_load_state()
        assert page.locator("#opening_hours-error").is_visible()
        step.check(page, "closing-before-opening-refused")
        assert page.input_value("#name") == "Fruit aan huis"  # nothing typed is lost
        page.fill("#hours-from-2", "14:00")
        page.fill("#hours-to-2", "16:00")
        page.click("form.stack button[type=submit]:has-text('Opslaan')")
        page.wait_for_url("**/organisations/*")
        assert page.locator("a:has-text('Fruit aan huis')").is_visible()

        # Anyone, signed in or not, finds it on the social map with the shop's phone.
        visitor = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 800})
        try:
            public = visitor.new_page()
            public.goto(f"{demo_system.url}/map?q=fruit")
            card = public.locator(".card", has_text="Fruit aan huis")
            assert card.is_visible()
            assert card.locator(f"a[href='tel:{SHOP_PHONE}']").is_visible()
            hours = card.locator("ul.hours li").all_inner_texts()
            assert hours == ["Dinsdag 10:00–12:00", "Vrijdag 14:00–16:00"]
            step.check(public, "on-the-public-map")
        finally:
            visitor.close()
    finally:
        context.close()


def test_a_coordinators_pages_for_the_social_map_are_accessible(
    demo_system: RunningSystem, browser: Any, steps: Callable[[int], Steps]
) -> None:
    seeded(demo_system)
    step = steps(390)
    context = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{demo_system.url}/login")
        page.fill("#email", "coordinator.overvecht@samen.demo")
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_load_state()
        page.goto(f"{demo_system.url}/board")
        page.click("a[href='/organisations']")
        page.wait_for_url("**/organisations")
        step.check(page, "coordinators-organisations")
        page.click("a:has-text('Organisatie toevoegen')")
        page.wait_for_url("**/organisations/new")
        # Where it is: a neighbourhood or district by name, or a postcode; never a code.
        assert page.locator("#area option:has-text('Overvecht')").count() >= 1
        page.fill("#name", "Kapsalon Sterre")
        page.fill("#postcode", "3561 AB")
        page.fill("#phone", "030 200 5555")
        page.fill("#manager_emails", "onbekend@example.nl")
        page.click("form.stack button[type=submit]:has-text('Opslaan')")
        page.wait_for_load_state()
        assert page.locator("#manager_emails-error").is_visible()
        step.check(page, "unknown-manager-refused")
        page.fill("#manager_emails", "ondernemer@samen.demo")
        page.click("form.stack button[type=submit]:has-text('Opslaan')")
        page.wait_for_url("**/organisations/*")
        step.check(page, "organisation-added")
        page.goto(f"{demo_system.url}/board/organisations/import")
        step.check(page, "import-a-list")
    finally:
        context.close()


def test_organisations_and_offers_over_the_api_by_coordinator_and_own_account_only(
    demo_system: RunningSystem,
) -> None:
    seeded(demo_system)
    coordinator = login(demo_system, "coordinator.overvecht@samen.demo")
    owner = login(demo_system, "ondernemer@samen.demo")
    resident = login(demo_system, "resident@samen.demo")
    elsewhere = login(demo_system, "coordinator.oost@samen.demo")
    with httpx.Client(base_url=demo_system.url, timeout=30) as api:
        # A resident may not list an organisation, nor a coordinator outside her district.
        body = {"name": "Kapper Kim", "area_code": "WK034403", "phone": "030 200 9999"}
        for who in (resident, elsewhere):
            assert api.post("/api/v1/organisations", json=body, headers=who).status_code == 403
        created = api.post(
            "/api/v1/organisations",
            json={**body, "manager_emails": ["ondernemer@samen.demo"]},
            headers=coordinator,
        )
        assert created.status_code == 201, created.text
        org = created.json()
        assert org["area_name"] == "Overvecht"
        # Its own account adds an offer and edits the organisation.
        offer = api.post(
            "/api/v1/offers",
            json={
                "organisation_id": org["organisation_id"],
                "name": "Knippen aan huis",
                "categories": ["odd_jobs"],
                "area_codes": ["WK034403"],
                "opening_hours": [{"weekday": 2, "opens": "09:00", "closes": "12:00"}],
            },
            headers=owner,
        )
        assert offer.status_code == 201, offer.text
        offer_id = offer.json()["offer_id"]
        edited = api.patch(
            f"/api/v1/organisations/{org['organisation_id']}",
            json={"description": "Kapper in Overvecht."},
            headers=owner,
        )
        assert edited.status_code == 200 and edited.json()["description"] == "Kapper in Overvecht."
        backwards = api.patch(
            f"/api/v1/offers/{offer_id}",
            json={"opening_hours": [{"weekday": 2, "opens": "12:00", "closes": "09:00"}]},
            headers=coordinator,
        )
        assert backwards.status_code == 422, backwards.text
        for who in (resident, elsewhere):
            assert api.get(f"/api/v1/offers/{offer_id}", headers=who).status_code == 404
            refused = api.patch(f"/api/v1/offers/{offer_id}", json={"name": "Gekaapt"}, headers=who)
            assert refused.status_code == 403
            assert api.delete(f"/api/v1/offers/{offer_id}", headers=who).status_code == 403
        listed = api.get("/api/v1/directory", params={"q": "knippen"}).json()["services"]
        assert [(s["name"], s["phone"]) for s in listed] == [("Knippen aan huis", "+31302009999")]
        # The coordinator retires the offer: off the map, still there for its managers.
        retired = api.delete(f"/api/v1/offers/{offer_id}", headers=coordinator)
        assert retired.status_code == 200 and retired.json()["active"] is False
        assert api.get("/api/v1/directory", params={"q": "knippen"}).json()["services"] == []
        kept = api.get(
            "/api/v1/offers", params={"organisation_id": org["organisation_id"]}, headers=owner
        )
        assert [o["active"] for o in kept.json()["offers"]] == [False]
        gone = api.delete(f"/api/v1/organisations/{org['organisation_id']}", headers=owner)
        assert gone.status_code == 200 and gone.json()["active"] is False
        mine = api.get("/api/v1/organisations", headers=resident)
        assert mine.status_code == 403


# HSDS 3.0 (Open Referral's schema/*.json): what each object must have, and its enums.
HSDS_REQUIRED = {
    "service": ("id", "name", "status"),
    "organization": ("id", "name", "description"),
    "phone": ("id", "number"),
    "schedule": ("id",),
    "service_area": ("id",),
    "service_at_location": ("id",),
    "location": ("id", "location_type"),
    "language": ("id",),
}
SERVICE_STATUS = {"active", "inactive", "defunct", "temporarily closed"}
BYDAY = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}


def has(kind: str, item: dict[str, Any]) -> None:
    missing = [f for f in HSDS_REQUIRED[kind] if item.get(f) in (None, "") and f != "description"]
    assert not missing and all(f in item for f in HSDS_REQUIRED[kind]), (kind, missing, item)


def test_the_hsds_export_has_the_shape_a_municipal_social_map_imports(
    demo_system: RunningSystem,
) -> None:
    seeded(demo_system)
    answer = httpx.get(f"{demo_system.url}/api/v1/directory/hsds", timeout=30)
    assert answer.status_code == 200
    export = answer.json()
    services = export["contents"]
    assert export["total_items"] == len(services) >= 10
    assert isinstance(export["total_pages"], int) and export["first_page"] is True
    ids: set[str] = set()
    for s in services:
        has("service", s)
        assert s["status"] in SERVICE_STATUS
        has("organization", s["organization"])
        assert s["organization_id"] == s["organization"]["id"]
        for phone in s["phones"] + s["organization"]["phones"]:
            has("phone", phone)
            assert phone["number"].startswith("+31")
        for schedule in s["schedules"]:
            has("schedule", schedule)
            if "byday" in schedule:
                assert schedule["byday"] in BYDAY and schedule["freq"] == "WEEKLY"
                assert schedule["opens_at"] < schedule["closes_at"]
        for area in s["service_areas"]:
            has("service_area", area)
            assert isinstance(area["name"], str)
        for language in s["languages"]:
            has("language", language)
        for at in s["service_at_locations"]:
            has("service_at_location", at)
            has("location", at["location"])
            assert at["location"]["location_type"] in {"physical", "postal", "virtual"}
            assert at["location_id"] == at["location"]["id"]
        for part in (s, *s["phones"], *s["schedules"], *s["service_areas"]):
            assert part["id"] not in ids, "every id is unique"
            ids.add(part["id"])
    demo = [s for s in services if s["name"].endswith(DEMO_MARK)]
    assert {s["organization"]["name"] for s in demo} >= {o.name + DEMO_MARK for o in ORGANISATIONS}
    assert all(s["schedules"] and (s["phones"] or s["organization"]["phones"]) for s in demo)
    # Nothing about members: not the demo people's names, addresses or e-mail.
    text = answer.text
    for person in ("Riet Jansen", "resident@samen.demo", "Yasmina", "ondernemer@samen.demo"):
        assert person not in text


def test_a_coordinator_imports_a_list_of_organisations_in_the_web(
    demo_system: RunningSystem,
) -> None:
    seeded(demo_system)
    csv_text = (
        "organisation;offer;categories;areas;opening_hours;organisation_phone\n"
        "Kledingbank Overvecht;Kleding ophalen;groceries;Overvecht;wo 13:00-16:00;030 200 7777\n"
        "Nergens;Niets;groceries;Atlantis;;\n"
    )
    with closing(web_session(demo_system, "coordinator.overvecht@samen.demo")) as client:
        listing = client.get("/organisations")
        assert 'href="/board/organisations/import"' in listing.text
        form = client.get("/board/organisations/import")
        assert form.status_code == 200
        sent = client.post(
            "/board/organisations/import",
            data={"csrf_token": csrf_token(form.text)},
            files={"file": ("kaart.csv", csv_text.encode(), "text/csv")},
        )
        assert sent.status_code == 200, sent.text
        assert "<td>3</td><td>areas: geen wijk of buurt heeft deze naam</td>" in sent.text
    found = httpx.get(f"{demo_system.url}/api/v1/directory", params={"q": "kleding"}).json()
    assert [(s["name"], s["phone"]) for s in found["services"]] == [
        ("Kleding ophalen", "+31302007777")
    ]
    with closing(web_session(demo_system, "resident@samen.demo")) as client:
        assert client.get("/board/organisations/import").status_code == 403
