"""What the use cases need of matching's storage: the help requests (with their proposals and
timers) and the read model of the registry. The SQL adapters (adapters/repository.py,
adapters/readmodel.py) implement these; tests may hold them in memory."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from services.matching.domain.model import HelpRequest, Proposal
from services.matching.domain.reports import RequestFact
from services.matching.domain.rules import Scope, VolunteerSnapshot
from shared.areas import AreaRef
from shared.events import MatchingPolicy


class RequestRepository(Protocol):
    """Help requests, read and written whole. A request listed (`of_member`, `board`, ...) comes
    without its proposals: lists show requests, and `get` is how one is changed."""

    async def get(self, request_id: str) -> HelpRequest:
        """Raises NotFound."""
        ...

    async def get_by_proposal(self, proposal_id: str) -> HelpRequest:
        """The request a proposal belongs to; raises NotFound."""
        ...

    def add(self, request: HelpRequest) -> None:
        """A new request, written with its proposals and timers when the unit of work commits."""
        ...

    async def save(self, request: HelpRequest) -> None:
        """Write a changed request back; raises a retryable conflict if it changed meanwhile."""
        ...

    async def id_for_key(self, requester_id: str, idempotency_key: str) -> str | None: ...

    def remember_key(self, request: HelpRequest, idempotency_key: str) -> None: ...

    async def forget_keys(self, requester_id: str) -> None: ...

    async def rename_volunteer(self, request: HelpRequest, old: str, new: str) -> None: ...

    async def resync_timers(self, request: HelpRequest, *, drop_due_before: datetime) -> None: ...

    async def drop_timers(self, request_id: str) -> None: ...

    async def due_timers(self, now: datetime, limit: int = 100) -> list[tuple[str, str]]:
        """(request id, timer kind) of the timers due at `now`, the longest due first."""
        ...

    async def of_member(
        self,
        member_id: str,
        role: Literal["requester", "volunteer"],
        *,
        states: Collection[str] | None,
        limit: int,
    ) -> list[HelpRequest]:
        """Newest first: what a member asked for or entered for someone (`requester`), or
        helps with (`volunteer`); in `states` when given."""
        ...

    async def unmatched_in(self, area: AreaRef, *, limit: int) -> list[HelpRequest]:
        """The requests in `area` still waiting for a volunteer, soonest needed first."""
        ...

    async def board(self, areas: Sequence[AreaRef], state: str, *, limit: int) -> list[HelpRequest]:
        """The requests in `state` in any of `areas`: urgent first, then the longest escalated
        (escalated ones), then the oldest."""
        ...

    async def count_on_board(self, areas: Sequence[AreaRef], state: str) -> int: ...

    async def proposals_of(
        self, volunteer_id: str, *, states: Collection[str] | None, limit: int
    ) -> list[tuple[Proposal, HelpRequest]]:
        """The proposals made to a volunteer, newest first, each with its request."""
        ...

    async def helped_by(self, volunteer_id: str, *, limit: int) -> list[HelpRequest]:
        """The requests a volunteer was matched to."""
        ...

    async def report_cohort(
        self, area: AreaRef, period_from: datetime, period_until: datetime, *, limit: int
    ) -> list[RequestFact]:
        """The requests in `area` made in the period."""
        ...

    async def report_completed(
        self, area: AreaRef, period_from: datetime, period_until: datetime, *, limit: int
    ) -> list[RequestFact]:
        """The requests in `area` done in the period, whenever they were made."""
        ...

    async def ids_asked_by(self, member_id: str) -> list[str]:
        """The requests a member asked for themselves (not those they entered for others)."""
        ...

    async def ids_asked_or_entered_by(self, member_id: str) -> list[str]: ...

    async def ids_helped_by(self, volunteer_id: str) -> list[str]: ...

    async def proposal_request_ids(self, volunteer_id: str) -> list[str]:
        """The requests with a proposal to this volunteer."""
        ...


class ReadModel(Protocol):
    """Members, volunteers and cooperatives as the registry's events describe them. A member or
    volunteer "row" has the attributes of its table in adapters/orm.py."""

    async def member_row(self, member_id: str) -> Any: ...

    async def requester(self, member_id: str) -> Any:
        """Where a member asking for help lives, and whether they were erased; None when
        matching does not know them."""
        ...

    async def volunteer_row(self, member_id: str) -> Any: ...

    async def home_area(self, member_id: str) -> AreaRef | None: ...

    async def put_member(
        self,
        member_id: str,
        *,
        area: AreaRef,
        roles: list[str] | None,
        language: str | None,
        consents: dict[str, bool] | None,
        now: datetime,
    ) -> bool:
        """Apply what a member event says; False for an erased member (ignored)."""
        ...

    async def put_volunteer(
        self, member_id: str, profile: dict[str, Any], now: datetime
    ) -> None: ...

    async def erase(self, member_id: str, now: datetime) -> None: ...

    async def put_cooperative(
        self,
        cooperative_id: str,
        *,
        parent_id: str | None,
        level: str,
        area_codes: list[str],
        coordinator_ids: list[str],
        policy: MatchingPolicy,
    ) -> None: ...

    async def cooperatives_by_area(self, area: AreaRef) -> dict[str, list[tuple[str, bool]]]:
        """(cooperative id, has coordinators) per code of `area` and the areas around it."""
        ...

    async def policy_for(self, area: AreaRef) -> tuple[str | None, MatchingPolicy]: ...

    async def candidate_snapshots(
        self,
        category: str,
        area: AreaRef,
        scope: Scope,
        *,
        now: datetime,
        fairness_days: int,
    ) -> list[VolunteerSnapshot]:
        """Eligible volunteers offering `category` in one ring around `area`."""
        ...

    async def snapshot(
        self, member_id: str, *, now: datetime, fairness_days: int = 30
    ) -> VolunteerSnapshot | None: ...
