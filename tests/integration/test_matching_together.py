"""Help requests asked for at the same moment are created together, in one transaction, on a
real nats-server and database: each caller still gets its own answer, its own events under its
own correlation id, and its own error; a failed transaction leaves each to be tried alone."""

import asyncio

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from services.matching.service_layer import usecases
from services.matching.service_layer.uow import SqlMatchingUnitOfWork
from shared.contracts import matching as c
from shared.errors import NotFound
from shared.ids import new_id
from shared.logging import correlation
from shared.together import Call
from tests.integration.matching_support import (
    OVERVECHT,
    TAAG,
    Matching,
    StartMatching,
    published,
    start_matching,
)

pytestmark = pytest.mark.integration
__all__ = ["start_matching"]


def ask(requester: str) -> c.RequestCreate:
    return c.RequestCreate(
        requester_id=requester, category="groceries", description="Boodschappen", flexible=True
    )


async def neighbourhood(m: Matching, residents: int) -> None:
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker-1"])
    for n in range(6):
        await m.volunteer(f"vol-{n}", TAAG, ["groceries"])
    for n in range(residents):
        await m.resident(f"res-{n}", TAAG)
    await m.settle()


def goes_so_far() -> tuple[float, float]:
    """(goes, calls) of `request.create` in this process so far."""
    labels = {"service": "matching", "call": c.REQUEST_CREATE.name}
    count = REGISTRY.get_sample_value("samen_calls_together_count", labels) or 0.0
    total = REGISTRY.get_sample_value("samen_calls_together_sum", labels) or 0.0
    return count, total


async def test_requests_asked_at_once_are_created_together_each_with_its_own_answer(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await neighbourhood(m, residents=12)
    goes_before, calls_before = goes_so_far()

    asked = [f"res-{n}" for n in range(12)] + ["stranger"]
    correlation_of = {requester: new_id() for requester in asked}

    async def ask_as(requester: str) -> c.RequestView:
        with correlation(correlation_of[requester]):
            return await m.call(c.REQUEST_CREATE, ask(requester))

    answers = await asyncio.gather(*(ask_as(who) for who in asked), return_exceptions=True)

    *created, refused = answers
    assert isinstance(refused, NotFound)  # matching does not know where the stranger lives
    assert all(isinstance(view, c.RequestView) for view in created)
    views = [v for v in created if isinstance(v, c.RequestView)]
    assert [v.requester_id for v in views] == asked[:12]
    assert all(v.state == "proposed" and len(v.proposals) == 3 for v in views)
    assert len({v.request_id for v in views}) == 12

    goes_after, calls_after = goes_so_far()
    goes, calls = goes_after - goes_before, calls_after - calls_before
    assert calls == 13
    assert goes < 13  # some of them went in together

    # Each request's events carry its own caller's correlation id, and nothing else went out.
    created_events = await published(m, nats_url, "samen.evt.request.created.", 12)
    by_request = {e.data["request_id"]: e.correlation_id for e in created_events}
    assert by_request == {v.request_id: correlation_of[v.requester_id] for v in views}
    proposed = await published(m, nats_url, "samen.evt.match.proposed.", 36)
    assert len(proposed) == 36
    # Every request was written with its proposals: each reads back as it was answered.
    for view in views:
        read = await m.call(
            c.REQUEST_GET, c.RequestQuery(request_id=view.request_id, actor_id=view.requester_id)
        )
        assert sorted(p.proposal_id for p in read.proposals) == sorted(
            p.proposal_id for p in view.proposals
        )


async def test_when_the_shared_transaction_fails_each_request_is_tried_alone(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await neighbourhood(m, residents=3)
    commits_refused = 0

    class FailsOnce(SqlMatchingUnitOfWork):
        async def commit(self) -> None:
            nonlocal commits_refused
            if commits_refused == 0:
                commits_refused += 1
                raise OperationalError("COMMIT", {}, Exception("connection lost"))
            await super().commit()

    make_uow = m.runtime.uow_factory(FailsOnce)
    loop = asyncio.get_running_loop()
    alone = [new_id() for _ in range(3)]
    calls: list[Call[c.RequestCreate, c.RequestView]] = [
        Call(ask(f"res-{n}"), alone[n], loop.create_future()) for n in range(3)
    ]
    await usecases.create_requests_together(calls, make_uow=make_uow, ctx=m.runtime.context)

    assert commits_refused == 1
    views = [call.answer.result() for call in calls]
    assert [v.requester_id for v in views] == ["res-0", "res-1", "res-2"]
    events = await published(m, nats_url, "samen.evt.request.created.", 3)
    assert sorted(e.correlation_id or "" for e in events) == sorted(alone)
    # The failed transaction left nothing behind: exactly one request per resident.
    for n in range(3):
        mine = await m.call(
            c.REQUEST_LIST_MINE, c.MyRequestsQuery(member_id=f"res-{n}", role="requester")
        )
        assert len(mine.requests) == 1
