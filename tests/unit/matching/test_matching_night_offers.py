"""A non-urgent proposal made at night counts its offer time from 08:00, when the volunteers'
messages have waited out the quiet hours; an urgent one from the moment it is made. In the
cooperative's zone, on both sides of the clock changes and around midnight."""

from datetime import UTC, datetime, timedelta

import pytest

from services.matching.domain.model import HelpRequest
from services.matching.domain.proposals import reachable_from
from shared.areas import AreaRef
from shared.categories import Category
from shared.events import MatchingPolicy

ZONE = "Europe/Amsterdam"
POLICY = MatchingPolicy()  # 4 hours to answer, 30 minutes when urgent


@pytest.mark.parametrize(
    ("now", "reached"),
    [
        # winter (UTC+1): 23:00 local is 22:00 UTC; 08:00 local is 07:00 UTC
        (datetime(2026, 12, 1, 22, 0, tzinfo=UTC), datetime(2026, 12, 2, 7, 0, tzinfo=UTC)),
        # just after midnight, local: the same morning
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), datetime(2026, 12, 2, 7, 0, tzinfo=UTC)),
        # by day: at once
        (datetime(2026, 12, 2, 9, 0, tzinfo=UTC), datetime(2026, 12, 2, 9, 0, tzinfo=UTC)),
        # 21:59 local is still day; 22:00 is night
        (datetime(2026, 12, 2, 20, 59, tzinfo=UTC), datetime(2026, 12, 2, 20, 59, tzinfo=UTC)),
        (datetime(2026, 12, 2, 21, 0, tzinfo=UTC), datetime(2026, 12, 3, 7, 0, tzinfo=UTC)),
        # the night the clocks go forward (29 March 2026): 08:00 is then 06:00 UTC
        (datetime(2026, 3, 28, 22, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        # the night the clocks go back (25 October 2026): 08:00 is then 07:00 UTC
        (datetime(2026, 10, 24, 21, 0, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
    ],
)
def test_volunteers_are_reached_at_once_by_day_and_at_eight_after_a_night(
    now: datetime, reached: datetime
) -> None:
    assert reachable_from(now, ZONE) == reached


def night_request(urgent: bool) -> tuple[HelpRequest, datetime]:
    at_eleven = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)  # 23:00 in Utrecht
    request = HelpRequest.open(
        requester_id="resident",
        category=Category.transport,
        description="naar de apotheek",
        area=AreaRef.from_code("BU03440312"),
        now=at_eleven,
        urgent=urgent,
        flexible=True,
    )
    return request, at_eleven


def test_a_non_urgent_proposal_at_23h_stays_open_until_noon() -> None:
    request, at_eleven = night_request(urgent=False)
    [proposal] = request.propose(["volunteer"], now=at_eleven, policy=POLICY, zone=ZONE)
    assert proposal.expires_at == datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # 12:00 local
    assert not request.round_finished(at_eleven + timedelta(hours=5))  # 04:00: still open


def test_an_urgent_proposal_at_23h_runs_its_half_hour_at_once() -> None:
    request, at_eleven = night_request(urgent=True)
    [proposal] = request.propose(["volunteer"], now=at_eleven, policy=POLICY, zone=ZONE)
    assert proposal.expires_at == at_eleven + timedelta(minutes=30)
