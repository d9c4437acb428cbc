"""UTC inside, the cooperative's time zone at the edges: the one helper, the setting, the
contracts that turn every offset into UTC, and the edges that read and show local time."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway.i18n import local_time
from services.gateway.reporting import week_starts
from services.gateway.routes.web.asking import window_of
from services.gateway.schemas import RequestBody
from services.matching.domain.rules import RequestNeeds, VolunteerSnapshot, available
from services.notify.domain.messages import format_window
from shared.areas import AreaRef
from shared.clock import as_utc, from_local, local_zone, to_local
from shared.contracts.matching import RequestCreate
from shared.contracts.notify import Preferences
from shared.events import AvailabilitySlot, MatchProposed, RequestCreated
from shared.settings import Settings, get_settings

WINTER = timezone(timedelta(hours=1))  # CET, Amsterdam's offset from late October to March
SUMMER = timezone(timedelta(hours=2))  # CEST
AMSTERDAM = "Europe/Amsterdam"


@pytest.fixture
def time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Lets a test set SAMEN_TIME_ZONE; the cached settings are read again around it."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.delenv("SAMEN_TIME_ZONE", raising=False)
    get_settings.cache_clear()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ------------------------------------------------------------------ the helper


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        (date(2026, 12, 8), time(8, 0), utc(2026, 12, 8, 7, 0)),  # Tuesday 08:00, winter
        (date(2026, 3, 28), time(8, 0), utc(2026, 3, 28, 7, 0)),  # before the clocks go forward
        (date(2026, 3, 29), time(8, 0), utc(2026, 3, 29, 6, 0)),  # the morning after
        (date(2026, 10, 24), time(8, 0), utc(2026, 10, 24, 6, 0)),  # before they go back
        (date(2026, 10, 25), time(8, 0), utc(2026, 10, 25, 7, 0)),  # the morning after
        (date(2026, 12, 8), time(23, 30), utc(2026, 12, 8, 22, 30)),
        (date(2026, 12, 9), time(0, 30), utc(2026, 12, 8, 23, 30)),  # the next local day
    ],
)
def test_from_local_gives_the_utc_moment_of_a_local_day_and_time(
    day: date, at: time, expected: datetime
) -> None:
    moment = from_local(day, at, AMSTERDAM)
    assert moment == expected
    assert moment.tzinfo is UTC
    back = to_local(moment, AMSTERDAM)
    assert (back.date(), back.time()) == (day, at)


def test_the_hours_the_clocks_skip_and_repeat_have_one_answer_each() -> None:
    # 02:30 on 29 March 2026 does not exist in Amsterdam; it is read with the winter offset.
    assert from_local(date(2026, 3, 29), time(2, 30), AMSTERDAM) == utc(2026, 3, 29, 1, 30)
    # 02:30 on 25 October 2026 happens twice; the first (summer) one counts.
    assert from_local(date(2026, 10, 25), time(2, 30), AMSTERDAM) == utc(2026, 10, 25, 0, 30)


def test_a_time_without_a_zone_is_refused_never_guessed() -> None:
    with pytest.raises(ValueError, match="time zone"):
        as_utc(datetime(2026, 12, 8, 8, 0))
    with pytest.raises(ValueError, match="time zone"):
        to_local(datetime(2026, 12, 8, 8, 0))


# ------------------------------------------------------------------ the setting


def test_the_cooperatives_time_zone_is_a_setting_checked_against_the_zone_database(
    time_zone: pytest.MonkeyPatch,
) -> None:
    assert Settings().time_zone == AMSTERDAM
    assert local_zone().key == AMSTERDAM
    with pytest.raises(ValidationError, match="IANA time zone"):
        Settings(time_zone="Europe/Utrecht")
    with pytest.raises(ValidationError, match="IANA time zone"):
        Settings(time_zone="../../etc/passwd")
    time_zone.setenv("SAMEN_TIME_ZONE", "America/Curacao")
    get_settings.cache_clear()
    assert local_zone().key == "America/Curacao"
    assert Preferences(member_id="m-1").timezone == "America/Curacao"
    assert to_local(utc(2026, 12, 8, 12, 0)).hour == 8  # Curaçao is UTC-4 all year


def test_weekly_availability_is_read_in_the_cooperatives_time_zone(
    time_zone: pytest.MonkeyPatch,
) -> None:
    """Tuesday 08:00-12:00 on the volunteer's clock; asked Tuesday 11:30-12:30 UTC."""
    volunteer = VolunteerSnapshot(
        member_id="v-1",
        home=AreaRef.from_code("BU03440311"),
        categories=frozenset({"groceries"}),
        radius_km=5.0,
        availability=(AvailabilitySlot(weekday=1, start="08:00", end="12:00"),),
    )
    needs = RequestNeeds(
        requester_id="m-1",
        category="groceries",  # type: ignore[arg-type]
        area=AreaRef.from_code("BU03440311"),
        languages=frozenset({"nl"}),
        needed_from=utc(2026, 12, 8, 11, 30),
        needed_until=utc(2026, 12, 8, 12, 30),
    )
    assert not available(volunteer, needs)  # 12:30-13:30 in Amsterdam: after the slot
    time_zone.setenv("SAMEN_TIME_ZONE", "Europe/London")
    get_settings.cache_clear()
    assert available(volunteer, needs)  # 11:30-12:30 in London: inside it


# ------------------------------------------------------------------ the contracts


def test_a_request_asked_with_local_offsets_travels_in_utc() -> None:
    cmd = RequestCreate(
        requester_id="m-1",
        category="groceries",
        description="Boodschappen",
        needed_from=datetime(2026, 12, 8, 8, 0, tzinfo=WINTER),
        needed_until=datetime(2026, 12, 8, 12, 0, tzinfo=WINTER),
    )
    assert (cmd.needed_from, cmd.needed_until) == (utc(2026, 12, 8, 7), utc(2026, 12, 8, 11))
    assert cmd.needed_from is not None and cmd.needed_from.utcoffset() == timedelta(0)
    assert '"needed_from":"2026-12-08T07:00:00Z"' in cmd.model_dump_json()

    created = RequestCreated(
        request_id="r-1",
        requester_id="m-1",
        category="groceries",
        needed_from=datetime(2026, 3, 29, 8, 0, tzinfo=SUMMER),
    )
    assert created.model_dump(mode="json")["needed_from"] == "2026-03-29T06:00:00Z"
    proposed = MatchProposed.model_validate(
        {
            "proposal_id": "p-1",
            "request_id": "r-1",
            "volunteer_id": "v-1",
            "category": "groceries",
            "round": 1,
            "expires_at": "2026-10-25T12:00:00+01:00",
            "needed_from": "2026-10-25T08:00:00+01:00",
        }
    )
    assert proposed.expires_at == utc(2026, 10, 25, 11) and proposed.expires_at.tzinfo == UTC
    assert proposed.needed_from is not None and proposed.needed_from.tzinfo == UTC


def test_the_api_refuses_a_time_without_an_offset() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        RequestBody.model_validate(
            {
                "category": "groceries",
                "description": "Boodschappen",
                "needed_from": "2026-12-08T08:00:00",
                "needed_until": "2026-12-08T12:00:00",
            }
        )
    body = RequestBody.model_validate(
        {
            "category": "groceries",
            "description": "Boodschappen",
            "needed_from": "2026-12-08T08:00:00+01:00",
            "needed_until": "2026-12-08T12:00:00+01:00",
        }
    )
    assert body.needed_from == utc(2026, 12, 8, 7) and body.needed_from.tzinfo == UTC


# ------------------------------------------------------------------ the edges


def form(day: str, part: str = "morning") -> FormData:
    return FormData([("when", "day"), ("day", day), ("part", part)])


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        ("2026-12-08", utc(2026, 12, 8, 7), utc(2026, 12, 8, 11)),
        ("2026-03-28", utc(2026, 3, 28, 7), utc(2026, 3, 28, 11)),
        ("2026-03-29", utc(2026, 3, 29, 6), utc(2026, 3, 29, 10)),
        ("2026-10-24", utc(2026, 10, 24, 6), utc(2026, 10, 24, 10)),
        ("2026-10-25", utc(2026, 10, 25, 7), utc(2026, 10, 25, 11)),
    ],
)
def test_the_ask_forms_morning_is_08_to_12_local_sent_in_utc(
    day: str, start: datetime, end: datetime
) -> None:
    needed_from, needed_until = window_of(form(day), AMSTERDAM)
    assert (needed_from, needed_until) == (start, end)
    assert needed_from is not None and needed_from.tzinfo is UTC
    assert needed_until is not None and needed_until.tzinfo is UTC


def test_the_ask_form_reads_the_day_in_the_configured_zone() -> None:
    assert window_of(form("2026-12-08"), "Europe/London") == (
        utc(2026, 12, 8, 8),
        utc(2026, 12, 8, 12),
    )


def test_pages_and_messages_show_utc_moments_on_the_local_clock_and_day() -> None:
    assert local_time(utc(2026, 12, 8, 7), "nl", zone=AMSTERDAM) == "Dinsdag 8-12-2026 08:00"
    assert local_time(utc(2026, 3, 29, 6), "nl", zone=AMSTERDAM) == "Zondag 29-3-2026 08:00"
    assert local_time(utc(2026, 10, 25, 7), "nl", zone=AMSTERDAM) == "Zondag 25-10-2026 08:00"
    # 23:30 UTC on Tuesday is already Wednesday in Amsterdam.
    assert local_time(utc(2026, 12, 8, 23, 30), "nl", zone=AMSTERDAM) == "Woensdag 9-12-2026 00:30"
    assert local_time(utc(2026, 12, 8, 7), "nl", zone="Europe/London") == "Dinsdag 8-12-2026 07:00"
    assert (
        format_window(utc(2026, 12, 8, 22, 30), utc(2026, 12, 8, 23, 30), "nl", AMSTERDAM)
        == "dinsdag 8 december, 23:30 tot woensdag 9 december, 00:30"
    )
    assert (
        format_window(utc(2026, 3, 29, 6), utc(2026, 3, 29, 10), "en", AMSTERDAM)
        == "Sunday 29 March, 08:00 to 12:00"
    )


def test_report_weeks_start_on_monday_midnight_on_the_local_clock_across_a_clock_change() -> None:
    weeks = week_starts(utc(2026, 3, 25, 12), utc(2026, 4, 7), AMSTERDAM)
    # Monday 23 March 00:00 CET, Monday 30 March and 6 April 00:00 CEST.
    assert weeks == [utc(2026, 3, 22, 23), utc(2026, 3, 29, 22), utc(2026, 4, 5, 22)]
