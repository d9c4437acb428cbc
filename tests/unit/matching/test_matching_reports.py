"""Report figures from anonymous facts: suppression of small groups, percentiles."""

from datetime import UTC, datetime, timedelta

from services.matching.domain.reports import RequestFact, figures, suppress

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def fact(state: str, wait_hours: float | None = None, **kw: object) -> RequestFact:
    args: dict[str, object] = {
        "category": "groceries",
        "state": state,
        "neighbourhood": "BU03440311",
        "district": "WK034403",
        "created_at": T0,
        "matched_at": T0 + timedelta(hours=wait_hours) if wait_hours is not None else None,
    }
    args.update(kw)
    return RequestFact(**args)  # type: ignore[arg-type]


def test_counts_of_one_to_four_are_suppressed_zero_is_not() -> None:
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == [0, None, None, 5, 12]


def test_rates_and_durations_over_fewer_than_five_are_suppressed() -> None:
    few = figures(
        area_code="WK034403",
        period_from=T0,
        period_until=T0 + timedelta(days=30),
        cohort=[fact("done", 1, matched_volunteer_id="v", hours=2.0)] * 3,
        completed=[fact("done", 1, matched_volunteer_id="v", hours=2.0)] * 3,
    )
    assert few.requests is None
    assert few.match_rate is None
    assert few.time_to_match_median_hours is None
    assert few.volunteer_hours is None
    assert few.active_volunteers is None


def test_median_and_p90_interpolate_between_ranks() -> None:
    cohort = [fact("done", h, matched_volunteer_id=f"v{n}") for n, h in enumerate([1, 2, 3, 4, 10])]
    result = figures(
        area_code="WK034403",
        period_from=T0,
        period_until=T0 + timedelta(days=30),
        cohort=[*cohort, *[fact("cancelled")] * 5],  # five: a single one would be hidden
        completed=[],
    )
    assert result.time_to_match_median_hours == 3
    assert result.time_to_match_p90_hours == 7.6  # 4 + 0.6 * (10 - 4)
    assert result.match_rate == 1.0  # cancelled requests do not count against it
    assert result.volunteer_hours == 0.0
