"""RPC verbs on samen.rpc.matching.<verb>: each translates a request into a use case call."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from services.matching.service_layer import privacy, reports, usecases
from services.matching.service_layer.uow import MatchingUnitOfWork, retrying
from services.matching.service_layer.usecases import Context
from shared import metrics
from shared.contracts import matching as c
from shared.errors import NotFound
from shared.service import ServiceRuntime
from shared.together import Together

T = TypeVar("T")
CREATE_GOES_AT_ONCE = 2
# A go that has not ended after this long (a slow commit) gets one beside it.
CREATE_STALLED_AFTER_SECONDS = 0.1


def register(
    runtime: ServiceRuntime,
    uow: Callable[[], MatchingUnitOfWork],
    ctx: Context,
    registry: usecases.Registry,
) -> None:
    def run(use_case: Callable[[MatchingUnitOfWork], Awaitable[T]]) -> Awaitable[T]:
        return retrying(uow, use_case)

    # Requests asked for while others are being created wait for them and go in together;
    # one slow commit (a disk's hiccup) must not hold up every resident, though.
    create_together: Together[c.RequestCreate, c.RequestView] = Together(
        partial(usecases.create_requests_together, make_uow=uow, ctx=ctx),
        goes_at_once=CREATE_GOES_AT_ONCE,
        stalled_after=CREATE_STALLED_AFTER_SECONDS,
        on_go=metrics.calls_together.labels(runtime.name, c.REQUEST_CREATE).observe,
    )

    async def request_create(cmd: c.RequestCreate) -> c.RequestView:
        """Ask for help: stores the request and proposes it to the first volunteers."""
        try:
            return await create_together(cmd)
        except NotFound as exc:
            # Registered a moment ago, their events still behind a large import: ask the
            # registry once rather than turn the resident away.
            if not usecases.is_unknown_requester(exc) or not await usecases.learn_requester(
                cmd.requester_id, make_uow=uow, registry=registry, ctx=ctx
            ):
                raise
        return await create_together(cmd)

    async def request_get(q: c.RequestQuery) -> c.RequestView:
        """One request, as the acting member may see it."""
        return await run(lambda u: usecases.get_request(q, uow=u, ctx=ctx))

    async def request_list_mine(q: c.MyRequestsQuery) -> c.RequestList:
        """Requests a member asked for (or entered), or helps with."""
        return await run(lambda u: usecases.list_mine(q, uow=u, ctx=ctx))

    async def request_cancel(cmd: c.RequestCancel) -> c.RequestView:
        """The requester cancels."""
        return await run(lambda u: usecases.cancel_request(cmd, uow=u, ctx=ctx))

    async def request_complete(cmd: c.RequestComplete) -> c.RequestView:
        """The requester or the volunteer marks it done, with hours and feedback."""
        return await run(lambda u: usecases.complete_request(cmd, uow=u, ctx=ctx))

    async def notice_board(q: c.NoticeBoardQuery) -> c.NoticeBoard:
        """Open requests of an area: categories and days, never names."""
        return await run(lambda u: usecases.notice_board(q, uow=u, ctx=ctx))

    async def proposal_list(q: c.ProposalQuery) -> c.ProposalList:
        """A volunteer's proposals, newest first."""
        return await run(lambda u: usecases.list_proposals(q, uow=u, ctx=ctx))

    async def proposal_accept(cmd: c.ProposalAnswer) -> c.ProposalView:
        """The first accept wins; a later one is a conflict, the same one again the same view."""
        return await run(lambda u: usecases.answer_proposal(cmd, accept=True, uow=u, ctx=ctx))

    async def proposal_decline(cmd: c.ProposalAnswer) -> c.ProposalView:
        """Decline; when the whole round declined, the next round starts at once."""
        return await run(lambda u: usecases.answer_proposal(cmd, accept=False, uow=u, ctx=ctx))

    async def coordinator_board(q: c.BoardQuery) -> c.Board:
        """Requests in the coordinator's areas by state, oldest escalations first."""
        return await run(lambda u: usecases.board(q, uow=u, ctx=ctx))

    async def coordinator_candidates(q: c.CandidatesQuery) -> c.CandidateList:
        """Volunteers a coordinator might match by hand."""
        return await run(lambda u: usecases.candidates_for(q, uow=u, ctx=ctx))

    async def coordinator_match(cmd: c.CoordinatorMatch) -> c.RequestView:
        """Match by hand."""
        return await run(lambda u: usecases.coordinator_match(cmd, uow=u, ctx=ctx))

    async def coordinator_reassign(cmd: c.CoordinatorMatch) -> c.RequestView:
        """Hand a matched request to another volunteer."""
        return await run(lambda u: usecases.coordinator_match(cmd, uow=u, ctx=ctx, reassign=True))

    async def coordinator_cancel(cmd: c.CoordinatorCancel) -> c.RequestView:
        """Cancel on the cooperative's behalf."""
        return await run(lambda u: usecases.coordinator_cancel(cmd, uow=u, ctx=ctx))

    async def coordinator_close(cmd: c.CoordinatorClose) -> c.RequestView:
        """Close as done with a note."""
        return await run(lambda u: usecases.coordinator_close(cmd, uow=u, ctx=ctx))

    async def report_figures(q: c.FiguresQuery) -> c.Figures:
        """Anonymous figures of an area and period; groups under 5 suppressed."""
        return await run(lambda u: reports.report_figures(q, uow=u))

    async def member_export(q: c.MemberQuery) -> c.MemberData:
        """Everything matching holds about a member."""
        return await run(lambda u: privacy.export_member(q.member_id, uow=u))

    async def member_erase(q: c.MemberQuery) -> c.MemberErasure:
        """Forget a member, keeping anonymous figures (also done on member.erased)."""
        return await run(lambda u: privacy.erase_member(q.member_id, uow=u, ctx=ctx))

    verbs: dict[str, Callable[[Any], Awaitable[Any]]] = {
        c.REQUEST_CREATE: request_create,
        c.REQUEST_GET: request_get,
        c.REQUEST_LIST_MINE: request_list_mine,
        c.REQUEST_CANCEL: request_cancel,
        c.REQUEST_COMPLETE: request_complete,
        c.NOTICE_BOARD: notice_board,
        c.PROPOSAL_LIST_FOR_VOLUNTEER: proposal_list,
        c.PROPOSAL_ACCEPT: proposal_accept,
        c.PROPOSAL_DECLINE: proposal_decline,
        c.COORDINATOR_BOARD: coordinator_board,
        c.COORDINATOR_CANDIDATES: coordinator_candidates,
        c.COORDINATOR_MATCH: coordinator_match,
        c.COORDINATOR_REASSIGN: coordinator_reassign,
        c.COORDINATOR_CANCEL: coordinator_cancel,
        c.COORDINATOR_CLOSE: coordinator_close,
        c.REPORT_FIGURES: report_figures,
        c.MEMBER_EXPORT: member_export,
        c.MEMBER_ERASE: member_erase,
    }
    for verb, handler in verbs.items():
        runtime.answer(verb, handler)
