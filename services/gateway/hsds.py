"""The social map as Open Referral HSDS 3.0 JSON, for a municipal social map to import.

The shape follows HSDS 3.0's service (with its organization, phones, schedules, service
areas, languages and service_at_locations) inside the paginated list its API returns. Only
active offers, only what organisations publish about themselves: never a member.
Ids of the parts are derived from the offer's id, so they stay the same from one export to
the next. Opening times are local (Europe/Amsterdam): HSDS wants a zone with a time, but a
fixed UTC offset would be wrong half the year, so the zone is named in `description`.
"""

from typing import Any
from uuid import NAMESPACE_URL, uuid5

from shared.contracts import registry as rc

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
LOCAL_TIME = "local time (Europe/Amsterdam)"


def _id(*parts: str) -> str:
    return str(uuid5(NAMESPACE_URL, "samen:" + "/".join(parts)))


def _phones(number: str | None, owner: str, **link: str) -> list[dict[str, Any]]:
    if not number:
        return []
    return [{"id": _id(owner, "phone"), "number": number, "type": "voice", **link}]


def service(s: rc.HsdsService) -> dict[str, Any]:
    org = s.organization
    location_id = _id(s.id, "location")
    schedules = [
        {
            "id": _id(s.id, "schedule", str(i)),
            "service_id": s.id,
            "freq": "WEEKLY",
            "interval": 1,
            "byday": WEEKDAYS[h.weekday],
            "opens_at": h.opens,
            "closes_at": h.closes,
            "description": s.schedule or LOCAL_TIME,
        }
        for i, h in enumerate(s.opening_hours)
    ]
    if not schedules and s.schedule:
        schedules = [{"id": _id(s.id, "schedule"), "service_id": s.id, "description": s.schedule}]
    names = {a.code: a.name for a in s.service_area_names}
    return {
        "id": s.id,
        "organization_id": org.id,
        "name": s.name,
        "description": s.description,
        "status": s.status,
        "email": s.email,
        "url": s.url,
        "organization": {
            "id": org.id,
            "name": org.name,
            "description": org.description,
            "email": org.email,
            "website": org.url,
            "phones": _phones(org.phone, org.id, organization_id=org.id),
        },
        "phones": _phones(s.phone, s.id, service_id=s.id),
        "schedules": schedules,
        "service_areas": [
            {
                "id": _id(s.id, "area", code),
                "service_id": s.id,
                "name": names.get(code, code),
                "description": f"CBS {code}",
            }
            for code in s.service_areas
        ],
        "languages": [
            {"id": _id(s.id, "language", code), "service_id": s.id, "code": code}
            for code in s.languages
        ],
        "service_at_locations": [
            {
                "id": _id(s.id, "at", "location"),
                "service_id": s.id,
                "location_id": location_id,
                "location": {
                    "id": location_id,
                    "location_type": "physical",
                    "organization_id": org.id,
                    "name": s.location.address or s.location.area_name or org.name,
                    "description": s.location.area_name or "",
                    "latitude": s.location.latitude,
                    "longitude": s.location.longitude,
                },
            }
        ]
        if s.location.address or s.location.area_code
        else [],
    }


def export(services: list[rc.HsdsService]) -> dict[str, Any]:
    """The whole map as one page of HSDS's paginated service list."""
    return {
        "total_items": len(services),
        "total_pages": 1,
        "page_number": 1,
        "size": len(services),
        "first_page": True,
        "last_page": True,
        "empty": not services,
        "contents": [service(s) for s in services],
    }
