"""The volunteer's .ics of the agreed time: local times with their zone, right on both sides
of the clock changes, and nothing beyond what the volunteer may see."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from services.gateway.calendar import job_calendar
from services.gateway.schemas import Helper

ZONE = "Europe/Amsterdam"


def ics(start: datetime) -> Calendar:
    return Calendar.from_ical(
        job_calendar(
            request_id="req-1",
            summary="Samen: Boodschappen",
            start=start,
            end=start + timedelta(hours=2),
            zone=ZONE,
            now=datetime(2027, 1, 1, tzinfo=UTC),
            place="Taag",
            requester=Helper(first_name="Anna", phone="0612345678"),
            contact_lines=["Telefoon: 0612345678"],
        )
    )


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        # The last Sunday of March 2027 is the 28th: 09:00 UTC is 10:00 before, 11:00 after.
        (datetime(2027, 3, 27, 9, 0, tzinfo=UTC), "20270327T100000"),
        (datetime(2027, 3, 28, 9, 0, tzinfo=UTC), "20270328T110000"),
        # The last Sunday of October 2027 is the 31st: 11:00 before, 10:00 after.
        (datetime(2027, 10, 30, 9, 0, tzinfo=UTC), "20271030T110000"),
        (datetime(2027, 10, 31, 9, 0, tzinfo=UTC), "20271031T100000"),
    ],
)
def test_the_agreed_time_is_local_on_both_sides_of_the_clock_change(
    utc: datetime, local: str
) -> None:
    calendar = ics(utc)
    text = calendar.to_ical().decode()
    assert f"DTSTART;TZID={ZONE}:{local}" in text
    [event] = calendar.walk("VEVENT")
    # A calendar that reads the file gets the same moment back.
    assert event.decoded("dtstart").astimezone(UTC) == utc
    assert event.decoded("dtend").astimezone(UTC) == utc + timedelta(hours=2)
    assert calendar.walk("VTIMEZONE")  # the zone's rules travel with the file


def test_the_event_holds_only_what_the_volunteer_may_see() -> None:
    [event] = ics(datetime(2027, 3, 27, 9, 0, tzinfo=UTC)).walk("VEVENT")
    assert str(event["location"]) == "Taag"  # the neighbourhood, never an address
    assert str(event["description"]) == "Anna\nTelefoon: 0612345678"
    assert str(event["uid"]) == "req-1@samen"
    assert set(event) == {
        "UID",
        "DTSTAMP",
        "SUMMARY",
        "DTSTART",
        "DTEND",
        "LOCATION",
        "DESCRIPTION",
    }
