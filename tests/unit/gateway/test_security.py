"""Passwords, CSRF tokens and report periods: the pure parts of the gateway's checks."""

from datetime import UTC, datetime

import pytest

from services.gateway import reporting, security
from shared.errors import Invalid


async def test_passwords_are_hashed_with_argon2id_and_verified() -> None:
    hashed = await security.hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert await security.verify_password(hashed, "correct horse")
    assert not await security.verify_password(hashed, "wrong horse")
    assert not await security.verify_password(None, "anything")
    assert not await security.verify_password("not a hash", "anything")


def test_a_csrf_token_is_bound_to_the_secret_and_the_browser() -> None:
    token = security.csrf_token("server key", "browser one")
    assert security.csrf_valid("server key", "browser one", token)
    assert not security.csrf_valid("server key", "browser two", token)
    assert not security.csrf_valid("other key", "browser one", token)
    assert not security.csrf_valid("server key", None, token)
    assert not security.csrf_valid("server key", "browser one", None)


def test_session_tokens_are_random_and_stored_as_hashes() -> None:
    a, b = security.new_token(), security.new_token()
    assert a != b and len(a) >= 40
    assert security.token_hash(a) != a and len(security.token_hash(a)) == 64


def test_a_report_period_defaults_to_twelve_weeks_and_refuses_nonsense() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    start, end = reporting.period(now, None, None)
    assert end == now and (end - start).days == 84
    with pytest.raises(Invalid):
        reporting.period(now, datetime(2026, 3, 2, tzinfo=UTC), now)
    with pytest.raises(Invalid):
        reporting.period(now, datetime(2026, 1, 1), None)  # no time zone
    with pytest.raises(Invalid):
        reporting.period(now, None, datetime(1, 1, 13, tzinfo=UTC))


def test_weeks_start_on_monday_and_are_capped() -> None:
    weeks = reporting.week_starts(
        datetime(2026, 1, 7, 15, tzinfo=UTC), datetime(2026, 1, 20, tzinfo=UTC), "Europe/Amsterdam"
    )
    # Monday 00:00 in Amsterdam is Sunday 23:00 UTC in winter.
    assert weeks == [datetime(2026, 1, d, 23, tzinfo=UTC) for d in (4, 11, 18)]
    many = reporting.week_starts(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    assert len(many) == reporting.MAX_WEEKS
