"""Volunteer profiles: availability and the certificate of conduct. Pure rules."""

from datetime import UTC, date, datetime, timedelta
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.domain.volunteers import draft_profile, is_available, normalise_slots
from shared.errors import Invalid
from shared.events import AvailabilitySlot

TUESDAY_MORNING = AvailabilitySlot(weekday=1, start="09:00", end="12:00")
TODAY = date(2026, 1, 5)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """January 2026 in Amsterdam winter time (UTC+1): the 6th is a Tuesday."""
    return datetime(2026, 1, day, hour - 1, minute, tzinfo=UTC)


def test_a_window_inside_a_slot_is_available() -> None:
    assert is_available([TUESDAY_MORNING], flexible=False, start=at(6, 10), end=at(6, 11))


def test_a_window_that_only_touches_a_slot_is_not() -> None:
    assert not is_available([TUESDAY_MORNING], flexible=False, start=at(6, 12), end=at(6, 13))
    assert not is_available([TUESDAY_MORNING], flexible=False, start=at(6, 8), end=at(6, 9))


def test_a_partly_overlapping_window_is_available() -> None:
    assert is_available([TUESDAY_MORNING], flexible=False, start=at(6, 11, 30), end=at(6, 14))


def test_another_weekday_is_not_available_but_flexible_always_is() -> None:
    assert not is_available([TUESDAY_MORNING], flexible=False, start=at(7, 10), end=at(7, 11))
    assert is_available([], flexible=True, start=at(7, 10), end=at(7, 11))


def test_a_window_over_several_days_finds_the_slot_in_between() -> None:
    assert is_available([TUESDAY_MORNING], flexible=False, start=at(5, 18), end=at(8, 18))


def test_without_an_end_the_window_is_an_hour() -> None:
    assert is_available([TUESDAY_MORNING], flexible=False, start=at(6, 11, 30))
    assert not is_available([TUESDAY_MORNING], flexible=False, start=at(6, 12, 30))


def test_local_time_counts_not_utc() -> None:
    # 08:30 UTC on Tuesday is 09:30 in Utrecht in winter.
    start = datetime(2026, 1, 6, 8, 30, tzinfo=UTC)
    assert is_available([TUESDAY_MORNING], flexible=False, start=start)


def test_overlapping_slots_are_merged_and_sorted() -> None:
    slots = normalise_slots(
        [
            AvailabilitySlot(weekday=3, start="14:00", end="16:00"),
            AvailabilitySlot(weekday=1, start="11:00", end="13:00"),
            TUESDAY_MORNING,
        ]
    )
    assert slots == [
        AvailabilitySlot(weekday=1, start="09:00", end="13:00"),
        AvailabilitySlot(weekday=3, start="14:00", end="16:00"),
    ]


def test_a_slot_ends_after_it_starts() -> None:
    with pytest.raises(ValueError, match="ends after it starts"):
        normalise_slots([AvailabilitySlot(weekday=1, start="12:00", end="09:00")])


def profile(**fields: object) -> dict[str, object]:
    values: dict[str, object] = {
        "categories": ["groceries"],
        "availability": [TUESDAY_MORNING],
        "flexible": False,
        "radius_km": 2.0,
        "languages": ["nl"],
        "max_open": 3,
        "active": True,
        "certificate_of_conduct_date": None,
        "today": TODAY,
    }
    values.update(fields)
    return values


def test_light_care_needs_a_recorded_certificate_of_conduct() -> None:
    with pytest.raises(Invalid, match="certificate of conduct"):
        draft_profile(**profile(categories=["light_care"]))  # type: ignore[arg-type]
    draft = draft_profile(
        **profile(categories=["light_care"], certificate_of_conduct_date=date(2025, 6, 1))  # type: ignore[arg-type]
    )
    assert draft.certificate_of_conduct_date == date(2025, 6, 1)


def test_a_certificate_date_cannot_be_in_the_future() -> None:
    with pytest.raises(Invalid, match="future"):
        draft_profile(**profile(certificate_of_conduct_date=date(2026, 2, 1)))  # type: ignore[arg-type]


def test_a_profile_needs_availability_or_flexibility() -> None:
    with pytest.raises(Invalid, match="flexible"):
        draft_profile(**profile(availability=[]))  # type: ignore[arg-type]
    assert draft_profile(**profile(availability=[], flexible=True)).flexible  # type: ignore[arg-type]


def test_a_profile_reports_every_bad_field() -> None:
    with pytest.raises(Invalid) as caught:
        draft_profile(
            **profile(categories=["juggling"], radius_km=500, languages=["Dutch!"], max_open=99)  # type: ignore[arg-type]
        )
    fields = [e["field"] for e in cast(list[dict[str, str]], caught.value.details["errors"])]
    assert fields == ["categories", "radius_km", "languages", "max_open"]


def test_languages_and_categories_are_deduplicated() -> None:
    draft = draft_profile(
        **profile(categories=["groceries", "groceries", "transport"], languages=["NL", "nl", "ar"])  # type: ignore[arg-type]
    )
    assert draft.categories == ["groceries", "transport"]
    assert draft.languages == ["nl", "ar"]


times = st.integers(0, 24 * 4).map(lambda q: f"{q * 15 // 60:02d}:{q * 15 % 60:02d}")
slots = st.builds(
    lambda day, span: AvailabilitySlot(weekday=day, start=min(span), end=max(span)),
    st.integers(0, 6),
    st.tuples(times, times).filter(lambda span: span[0] != span[1]),
)


@given(
    st.lists(slots, max_size=6),
    st.integers(0, 7 * 24 * 4 - 1),
    st.integers(1, 16),
)
def test_merging_slots_never_changes_who_is_available(
    given_slots: list[AvailabilitySlot], start_quarter: int, quarters: int
) -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=15 * start_quarter)
    end = start + timedelta(minutes=15 * quarters)
    merged = normalise_slots(given_slots)
    assert is_available(merged, flexible=False, start=start, end=end) == is_available(
        given_slots, flexible=False, start=start, end=end
    )


def test_a_pause_may_name_the_day_it_ends_after_today() -> None:
    draft = draft_profile(**profile(active=False, paused_until=date(2026, 1, 6)))  # type: ignore[arg-type]
    assert draft.paused_until == date(2026, 1, 6)
    with pytest.raises(Invalid, match="after today"):
        draft_profile(**profile(active=False, paused_until=TODAY))  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="paused"):
        draft_profile(**profile(active=True, paused_until=date(2026, 1, 6)))  # type: ignore[arg-type]
