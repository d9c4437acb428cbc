"""Report figures for a seeded month match hand-computed values (groups under 5 suppressed)."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts import matching as c
from tests.integration.matching_support import (
    OVERVECHT,
    TAAG,
    VOGELENBUURT,
    Matching,
    StartMatching,
    start_matching,
)

pytestmark = pytest.mark.integration
__all__ = ["start_matching"]

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


async def create(m: Matching, requester: str, category: str) -> c.RequestView:
    return await m.call(
        c.REQUEST_CREATE,
        c.RequestCreate(
            requester_id=requester, category=category, description="hulp", flexible=True
        ),
    )


async def test_figures_for_a_seeded_month_match_hand_computed_values(
    start_matching: StartMatching,
) -> None:
    m = await start_matching()
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker"])
    for n in range(12):
        await m.resident(f"r{n}", TAAG)
    await m.resident("noord", VOGELENBUURT)
    for n in range(6):
        await m.volunteer(f"v{n}", TAAG, ["groceries"])
    await m.settle()

    # February: outside the period.
    m.clock.set(datetime(2026, 2, 20, 10, tzinfo=UTC))
    await create(m, "r11", "company")

    # March: six groceries requests, each accepted after a known wait (hours).
    m.clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
    waits = [0.5, 1, 1.5, 2, 3, 3.5]
    groceries = []
    for n, wait in enumerate(waits):
        request = await create(m, f"r{n}", "groceries")
        m.clock.advance(timedelta(hours=wait))
        best = request.proposals[0]  # fairness sends each to a volunteer not yet busy
        await m.call(
            c.PROPOSAL_ACCEPT,
            c.ProposalAnswer(proposal_id=best.proposal_id, volunteer_id=best.volunteer_id),
        )
        groceries.append((request, best.volunteer_id))
        m.clock.advance(timedelta(hours=12))
    assert sorted(v for _, v in groceries) == [f"v{n}" for n in range(6)]

    # One more groceries request, cancelled by its requester.
    cancelled = await create(m, "r6", "groceries")
    await m.call(c.REQUEST_CANCEL, c.RequestCancel(request_id=cancelled.request_id, actor_id="r6"))
    # Five garden requests: nobody offers it, all escalate; the broker matches one after 10 h.
    gardens = [await create(m, f"r{n}", "garden") for n in range(5)]
    assert {g.state for g in gardens} == {"escalated"}
    m.clock.advance(timedelta(hours=10))
    await m.call(
        c.COORDINATOR_MATCH,
        c.CoordinatorMatch(
            coordinator_id="broker",
            area_codes=[OVERVECHT],
            request_id=gardens[0].request_id,
            volunteer_id="v5",
        ),
    )
    # Noordoost: outside the area.
    await create(m, "noord", "groceries")
    # Five of the groceries requests are done in March.
    for (request, volunteer), hours in zip(groceries[:5], [1, 1.5, 2, 2, 3], strict=True):
        await m.call(
            c.REQUEST_COMPLETE,
            c.RequestComplete(request_id=request.request_id, actor_id=volunteer, hours=hours),
        )

    figures = await m.call(
        c.REPORT_FIGURES, c.FiguresQuery(area_code=OVERVECHT, period_from=MARCH, period_until=APRIL)
    )
    # Hand-computed: 12 requests (6 + 1 + 5); matched 7 of the 11 not cancelled.
    # Waits 0.5 1 1.5 2 3 3.5 10 -> median 2; p90 at rank 0.9 * 6 = 5.4 -> 3.5 + 0.4 * 6.5 = 6.1
    assert figures.requests == 12
    assert figures.by_category == {"garden": 5, "groceries": 7}
    assert figures.by_state == {
        "open": 0,
        "proposed": 0,
        "matched": None,  # 2: suppressed
        "done": 5,
        "escalated": None,  # 4
        "cancelled": None,  # 1
        "expired": 0,
    }
    assert figures.by_district == {OVERVECHT: 12}
    assert figures.by_neighbourhood == {TAAG: 12}
    assert figures.matched == 7
    # 7 / 11 would give the hidden cancelled request back (12 - 7 / rate = 1): hidden too.
    assert figures.match_rate is None
    assert figures.time_to_match_median_hours == 2.0
    assert figures.time_to_match_p90_hours == 6.1
    assert figures.escalations == 5
    assert figures.volunteer_hours == 9.5
    assert figures.active_volunteers == 6
    assert figures.unmet_by_neighbourhood == {TAAG: None}  # 4 escalated: suppressed
    # People beside requests, counted in matching from the requester ids it holds: r0-r6
    # asked for groceries, r0-r4 for the garden too.
    assert figures.residents == 7
    assert figures.residents_by_category == {"garden": 5, "groceries": 7}
    assert figures.residents_by_neighbourhood == {TAAG: 7}

    # The same month in weeks: suppressed together, so each part is shown or hidden with the
    # whole in view; everything happened in the first week, the others have nothing.
    mondays = [datetime(2026, 3, 2, tzinfo=UTC) + timedelta(weeks=n) for n in range(5)]
    weekly = await m.call(
        c.REPORT_FIGURES,
        c.FiguresQuery(area_code=OVERVECHT, period_from=MARCH, period_until=APRIL, periods=mondays),
    )
    assert [p.period_from for p in weekly.periods] == [MARCH, *mondays]
    assert weekly.requests == 12
    assert [p.requests for p in weekly.periods] == [0, 12, 0, 0, 0, 0]

    city = await m.call(
        c.REPORT_FIGURES, c.FiguresQuery(area_code="GM0344", period_from=MARCH, period_until=APRIL)
    )
    assert city.requests == 13
    # 13 - 12 would give the hidden 1 back: the 12 is hidden with it.
    assert city.by_district == {OVERVECHT: None, "WK034404": None}
    assert city.by_neighbourhood == {TAAG: None, VOGELENBUURT: None}

    quiet = await m.call(
        c.REPORT_FIGURES,
        c.FiguresQuery(area_code=VOGELENBUURT, period_from=MARCH, period_until=APRIL),
    )
    assert quiet.requests is None  # one request: nobody can be recognised
    assert quiet.match_rate is None
    assert quiet.time_to_match_median_hours is None
