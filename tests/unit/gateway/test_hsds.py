"""The social map as HSDS 3.0 JSON: every object has what Open Referral's schema requires,
the week's days in iCalendar's words, and ids that stay the same from one export to the next."""

from datetime import UTC, datetime

from services.gateway import hsds
from shared.categories import Category
from shared.contracts import registry as rc

OFFER = rc.HsdsService(
    id="01a23823-f768-74ce-bbc1-5ba662c4d1ad",
    name="Repair Café",
    description="Samen repareren.",
    categories=[Category.odd_jobs],
    languages=["nl", "en"],
    opening_hours=[
        rc.OpeningHours(weekday=5, opens="10:00", closes="13:00"),
        rc.OpeningHours(weekday=2, opens="19:00", closes="21:00"),
    ],
    schedule="elke eerste zaterdag",
    phone="+31302001101",
    organization=rc.HsdsOrganization(
        id="01a23823-f768-74ce-bbc1-5ba662c4d1ae", name="Buurthuis", phone="+31302001100"
    ),
    location=rc.HsdsLocation(address="Zamenhofdreef 20", area_code="WK034403", area_name="O"),
    service_areas=["WK034403"],
    service_area_names=[rc.HsdsServiceArea(code="WK034403", name="Overvecht")],
    updated_at=datetime(2026, 12, 1, tzinfo=UTC),
)


def test_a_service_has_what_hsds_requires_of_each_part() -> None:
    page = hsds.export([OFFER])
    assert (page["total_items"], page["total_pages"], page["empty"]) == (1, 1, False)
    service = page["contents"][0]
    assert {"id", "name", "status"} <= service.keys() and service["status"] == "active"
    assert {"id", "name", "description"} <= service["organization"].keys()
    assert [p["number"] for p in service["phones"]] == ["+31302001101"]
    assert [p["number"] for p in service["organization"]["phones"]] == ["+31302001100"]
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]] == [
        ("SA", "10:00", "13:00"),
        ("WE", "19:00", "21:00"),
    ]
    assert all(s["freq"] == "WEEKLY" for s in service["schedules"])
    assert [a["name"] for a in service["service_areas"]] == ["Overvecht"]
    location = service["service_at_locations"][0]["location"]
    assert location["location_type"] == "physical" and location["name"] == "Zamenhofdreef 20"
    assert [lang["code"] for lang in service["languages"]] == ["nl", "en"]


def test_the_ids_of_the_parts_are_unique_and_the_same_in_every_export() -> None:
    first, second = hsds.export([OFFER]), hsds.export([OFFER])
    assert first == second
    service = first["contents"][0]
    parts = [
        service,
        *service["phones"],
        *service["schedules"],
        *service["service_areas"],
        *service["languages"],
        *service["service_at_locations"],
    ]
    ids = [p["id"] for p in parts]
    assert len(ids) == len(set(ids))


def test_an_empty_map_is_an_empty_page() -> None:
    assert hsds.export([]) == {
        "total_items": 0,
        "total_pages": 1,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }
