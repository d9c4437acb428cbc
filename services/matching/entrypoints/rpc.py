"""Matching's verbs (samen.rpc.matching.<verb>): one table from verb to use case."""

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
    # Requests asked for while others are being created wait for them and go in together;
    # one slow commit (a disk's hiccup) must not hold up every resident, though.
    create_together: Together[c.RequestCreate, c.RequestView] = Together(
        partial(usecases.create_requests_together, make_uow=uow, ctx=ctx),
        goes_at_once=CREATE_GOES_AT_ONCE,
        stalled_after=CREATE_STALLED_AFTER_SECONDS,
        on_go=metrics.calls_together.labels(runtime.name, c.REQUEST_CREATE.name).observe,
    )

    async def request_create(cmd: c.RequestCreate) -> c.RequestView:
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

    def in_uow(
        use_case: Callable[..., Awaitable[T]], **options: Any
    ) -> Callable[[Any], Awaitable[T]]:
        """The handler of a verb: its use case, in a unit of work tried again on a conflict."""

        def handle(request: Any) -> Awaitable[T]:
            return retrying(uow, lambda u: use_case(request, uow=u, **options))

        return handle

    runtime.answer(
        {
            c.REQUEST_CREATE: request_create,
            c.REQUEST_GET: in_uow(usecases.get_request, ctx=ctx),
            c.REQUEST_LIST_MINE: in_uow(usecases.list_mine, ctx=ctx),
            c.REQUEST_CANCEL: in_uow(usecases.cancel_request, ctx=ctx),
            c.REQUEST_COMPLETE: in_uow(usecases.complete_request, ctx=ctx),
            c.REQUEST_FEEDBACK: in_uow(usecases.give_feedback, ctx=ctx),
            c.NOTICE_BOARD: in_uow(usecases.notice_board, ctx=ctx),
            c.PROPOSAL_LIST_FOR_VOLUNTEER: in_uow(usecases.list_proposals, ctx=ctx),
            c.PROPOSAL_ACCEPT: in_uow(usecases.answer_proposal, accept=True, ctx=ctx),
            c.PROPOSAL_DECLINE: in_uow(usecases.answer_proposal, accept=False, ctx=ctx),
            c.COORDINATOR_BOARD: in_uow(usecases.board, ctx=ctx),
            c.COORDINATOR_CANDIDATES: in_uow(usecases.candidates_for, ctx=ctx),
            c.COORDINATOR_MATCH: in_uow(usecases.coordinator_match, ctx=ctx),
            c.COORDINATOR_REASSIGN: in_uow(usecases.coordinator_match, reassign=True, ctx=ctx),
            c.COORDINATOR_CANCEL: in_uow(usecases.coordinator_cancel, ctx=ctx),
            c.COORDINATOR_CLOSE: in_uow(usecases.coordinator_close, ctx=ctx),
            c.REPORT_FIGURES: in_uow(reports.report_figures),
            c.MEMBER_EXPORT: in_uow(_export_member),
            c.MEMBER_ERASE: in_uow(_erase_member, ctx=ctx),
        }
    )


def _export_member(q: c.MemberQuery, **at: Any) -> Awaitable[c.MemberData]:
    return privacy.export_member(q.member_id, **at)


def _erase_member(q: c.MemberQuery, **at: Any) -> Awaitable[c.MemberErasure]:
    return privacy.erase_member(q.member_id, **at)
