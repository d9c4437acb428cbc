"""The certificate of conduct's dates: the database's bounds agree with the rule day by day,
29 February included."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shared.certificates import (
    CERTIFICATE_WARN_DAYS,
    certificate_counts,
    certificate_expires,
    certificate_state,
    issued_on_or_before_expires,
    issued_on_or_before_warns,
)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def test_a_certificate_counts_three_years_and_a_leap_day_one_until_the_28th() -> None:
    assert certificate_expires(date(2023, 5, 1)) == date(2026, 5, 1)
    assert certificate_expires(date(2024, 2, 29)) == date(2027, 2, 28)
    assert certificate_counts(date(2023, 5, 1), date(2026, 4, 30))
    assert not certificate_counts(date(2023, 5, 1), date(2026, 5, 1))
    assert not certificate_counts(None, date(2026, 5, 1))


def test_the_states_the_board_shows() -> None:
    today = date(2026, 1, 5)
    assert certificate_state(None, today) == "none"
    assert certificate_state(date(2023, 1, 5), today) == "expired"
    assert certificate_state(date(2023, 2, 1), today) == "expiring"
    assert certificate_state(date(2023, 6, 1), today) == "valid"


@given(today=days, offset=st.integers(min_value=-3, max_value=3))
def test_the_bounds_pick_exactly_the_certificates_due_a_notice(today: date, offset: int) -> None:
    expired_by = issued_on_or_before_expires(today)
    issued = expired_by + timedelta(days=offset)
    assert (certificate_expires(issued) <= today) == (issued <= expired_by)
    warn_by = issued_on_or_before_warns(today)
    issued = warn_by + timedelta(days=offset)
    warns = certificate_expires(issued) - today <= timedelta(days=CERTIFICATE_WARN_DAYS)
    assert warns == (issued <= warn_by)
