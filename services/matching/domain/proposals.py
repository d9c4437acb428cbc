"""A proposal to one volunteer, and how long it stays open: the offer time, counted from when
the volunteer can hear of it (at once by day; after the quiet hours for a non-urgent proposal
made at night)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from shared.clock import from_local, to_local
from shared.contracts.matching import ProposalState
from shared.events import MatchingPolicy


@dataclass
class Proposal:
    id: str
    request_id: str
    volunteer_id: str
    round: int
    state: ProposalState
    proposed_at: datetime
    expires_at: datetime
    answered_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.state == "pending"


def offer_time(policy: MatchingPolicy, urgent: bool) -> timedelta:
    if urgent:
        return timedelta(minutes=policy.urgent_offer_minutes)
    return timedelta(hours=policy.offer_hours)


# The quiet hours a non-urgent message waits out (notify's default for every member).
NIGHT_STARTS, NIGHT_ENDS = time(22, 0), time(8, 0)


def reachable_from(now: datetime, zone: str | None = None) -> datetime:
    """When volunteers asked `now` hear of a non-urgent request: at once by day; after a
    proposal made at night, at 08:00, when their messages have waited out the quiet hours. The
    offer time counts from then, or a proposal made at 23:00 would lapse unread at 03:00."""
    local = to_local(now, zone)
    if NIGHT_ENDS <= local.time() < NIGHT_STARTS:
        return now
    day = local.date() + timedelta(days=1) if local.time() >= NIGHT_STARTS else local.date()
    return from_local(day, NIGHT_ENDS, zone)
