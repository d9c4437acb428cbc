"""The agreed time of a job as an iCalendar file (.ics) for the volunteer's own calendar.

The event holds what the volunteer may see on the request's page and nothing more: the kind
of help, the requester's first name and the contact they agreed to share, and the
neighbourhood (never an address). Its times are the cooperative's local times with their
zone (`SAMEN_TIME_ZONE`, with a VTIMEZONE), so a calendar shows them right on either side of
a clock change.
"""

from datetime import datetime

from icalendar import Calendar, Event

from services.gateway.schemas import Helper
from shared.clock import to_local

PRODID = "-//Samen//Neighbourhood care//EN"


def job_calendar(
    *,
    request_id: str,
    summary: str,
    start: datetime,
    end: datetime,
    zone: str,
    now: datetime,
    place: str | None,
    requester: Helper | None,
    contact_lines: list[str],
) -> bytes:
    """One VEVENT from `start` to `end` (UTC inside, written in `zone`)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{request_id}@samen")
    event.add("dtstamp", now)
    event.add("summary", summary)
    event.add("dtstart", to_local(start, zone))
    event.add("dtend", to_local(end, zone))
    if place:
        event.add("location", place)
    lines = [requester.first_name] if requester else []
    event.add("description", "\n".join([*lines, *contact_lines]))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
