"""The gateway's in-memory caches: expiry, size, dropping by group, fetches that race a change,
the request cache's rules about events and the event subscription, and which calls the caching
RPC client answers itself, passes on, or drops a request's views after."""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.gateway.caching import ExpiringCache
from services.gateway.request_cache import (
    COMMANDS_ON_A_REQUEST,
    RequestCachingRpc,
    RequestViewCache,
)
from shared.areas import AreaRef
from shared.contracts import matching as mc
from shared.contracts.verbs import AnyVerb
from shared.errors import Unavailable
from shared.events import (
    MemberErased,
    NotificationSent,
    RequestCancelled,
    RequestMatched,
    envelope,
)

AREA = AreaRef.from_code("BU03440312")


class Ticking:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def cache(ttl: float = 5, max_entries: int = 100) -> tuple[ExpiringCache[str, str], Ticking]:
    clock = Ticking()
    return ExpiringCache(ttl=ttl, max_entries=max_entries, now=clock), clock


def test_a_kept_value_is_served_until_its_time_is_up() -> None:
    sessions, clock = cache(ttl=5)
    assert sessions.put("token", "anna", group="account-1", ticket=sessions.ticket())
    clock.now += 4.9
    assert sessions.get("token") == "anna"
    clock.now += 0.1
    assert sessions.get("token") is None
    assert len(sessions) == 0


def test_beyond_its_size_the_least_recently_read_goes_first() -> None:
    sessions, _ = cache(max_entries=2)
    for key in ("a", "b"):
        sessions.put(key, key.upper(), group=key, ticket=sessions.ticket())
    assert sessions.get("a") == "A"  # now "b" is the least recently read
    sessions.put("c", "C", group="c", ticket=sessions.ticket())
    assert (sessions.get("a"), sessions.get("b"), sessions.get("c")) == ("A", None, "C")


def test_dropping_a_group_forgets_all_its_entries_and_no_other() -> None:
    sessions, _ = cache()
    for key, group in (("cookie", "anna"), ("bearer", "anna"), ("other", "bert")):
        sessions.put(key, key, group=group, ticket=sessions.ticket())
    sessions.drop("anna")
    assert (sessions.get("cookie"), sessions.get("bearer")) == (None, None)
    assert sessions.get("other") == "other"


def test_a_value_fetched_while_its_group_changed_is_not_kept() -> None:
    sessions, _ = cache()
    ticket = sessions.ticket()  # a look-up starts ...
    sessions.drop("anna")  # ... anna logs out meanwhile ...
    assert not sessions.put("token", "anna's old session", group="anna", ticket=ticket)
    assert sessions.get("token") is None
    # A fetch of another group at the same time is kept; a fetch begun afterwards too.
    assert sessions.put("other", "bert", group="bert", ticket=ticket)
    assert sessions.put("token", "anna again", group="anna", ticket=sessions.ticket())


def test_a_fetch_older_than_a_forgotten_drop_is_refused() -> None:
    sessions, _ = cache(max_entries=2)
    ticket = sessions.ticket()
    for group in ("anna", "bert", "carl"):  # anna's drop is no longer remembered ...
        sessions.drop(group)
    # ... so every fetch from before it is refused, whatever its group.
    assert not sessions.put("token", "anna", group="anna", ticket=ticket)
    assert not sessions.put("token", "dirk", group="dirk", ticket=ticket)
    assert sessions.put("token", "dirk", group="dirk", ticket=sessions.ticket())


def test_clearing_forgets_everything_and_refuses_fetches_under_way() -> None:
    sessions, _ = cache()
    sessions.put("a", "A", group="a", ticket=sessions.ticket())
    ticket = sessions.ticket()
    sessions.clear()
    assert sessions.get("a") is None
    assert not sessions.put("b", "B", group="b", ticket=ticket)


def test_a_cache_without_a_lifetime_keeps_nothing() -> None:
    sessions, _ = cache(ttl=0)
    assert not sessions.enabled
    assert not sessions.put("a", "A", group="a", ticket=sessions.ticket())
    assert sessions.get("a") is None


# ------------------------------------------------------------------ request views


class Subscription:
    """The event subscription's state as the request cache sees it: None while down,
    else how often it reconnected."""

    def __init__(self) -> None:
        self.epoch: int | None = 0

    def __call__(self) -> int | None:
        return self.epoch


def view(request_id: str = "r1", state: str = "open") -> mc.RequestView:
    return mc.RequestView(
        request_id=request_id,
        requester_id="anna",
        category="groceries",
        description="Boodschappen",
        state=state,
        needed_from=None,
        needed_until=None,
        flexible=True,
        urgent=False,
        languages=["nl"],
        neighbourhood="BU03440312",
        district="WK034403",
        municipality="GM0344",
        entered_by=None,
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
        expires_at=None,
        round=0,
        matched_volunteer_id=None,
        matched_at=None,
        matched_by=None,
        escalated_at=None,
        escalation_reason=None,
        escalated_to=None,
        completed_at=None,
        hours=None,
        score=None,
        comment=None,
        closed_by=None,
        note=None,
        cancelled_at=None,
        cancelled_by=None,
    )


def views() -> tuple[RequestViewCache, Subscription]:
    subscription = Subscription()
    return RequestViewCache(ttl=5, max_entries=100, connection=subscription), subscription


def keep(cache: RequestViewCache, request_id: str, reader: str = "anna") -> None:
    cache.put(cache.key(request_id, reader, None), view(request_id), ticket=cache.ticket())


def test_each_reader_and_area_list_has_its_own_view() -> None:
    cache, _ = views()
    keep(cache, "r1", reader="anna")
    assert cache.get(cache.key("r1", "anna", None)) == view("r1")
    assert cache.get(cache.key("r1", "bert", None)) is None  # matching may show bert less
    assert cache.get(cache.key("r1", "anna", ["WK034403"])) is None
    assert cache.key("r1", "c", ["b", "a"]) == cache.key("r1", "c", ["a", "b"])


def test_an_event_about_a_request_drops_every_view_of_it() -> None:
    cache, _ = views()
    keep(cache, "r1", reader="anna")
    keep(cache, "r1", reader="coordinator")
    keep(cache, "r2")
    cache.follow(
        envelope(
            RequestCancelled(request_id="r1", cancelled_by="anna"), source="matching", area=AREA
        )
    )
    assert cache.get(cache.key("r1", "anna", None)) is None
    assert cache.get(cache.key("r1", "coordinator", None)) is None
    assert cache.get(cache.key("r2", "anna", None)) == view("r2")


def test_a_read_that_raced_an_event_is_not_kept() -> None:
    cache, _ = views()
    ticket = cache.ticket()  # matching is being asked ...
    matched = RequestMatched(request_id="r1", requester_id="anna", volunteer_id="v1")
    cache.follow(envelope(matched, source="matching", area=AREA))  # ... and it changes
    cache.put(cache.key("r1", "anna", None), view("r1"), ticket=ticket)
    assert cache.get(cache.key("r1", "anna", None)) is None


def test_an_erasure_drops_everything_and_other_events_nothing() -> None:
    cache, _ = views()
    keep(cache, "r1")
    sent = NotificationSent(
        notification_id="n1", recipient_id="anna", template="welcome", channel="email"
    )
    cache.follow(envelope(sent, source="notify", area=AREA))
    assert cache.get(cache.key("r1", "anna", None)) is not None
    cache.follow(envelope(MemberErased(member_id="bert"), source="registry", area=AREA))
    assert cache.get(cache.key("r1", "anna", None)) is None


def test_nothing_is_served_or_kept_while_the_event_subscription_is_down() -> None:
    cache, subscription = views()
    keep(cache, "r1")
    subscription.epoch = None
    assert cache.get(cache.key("r1", "anna", None)) is None
    keep(cache, "r2")
    subscription.epoch = 0
    assert cache.get(cache.key("r2", "anna", None)) is None


def test_after_a_reconnection_views_from_before_are_forgotten() -> None:
    cache, subscription = views()
    keep(cache, "r1")
    subscription.epoch = 1  # events may have been missed while it was down
    assert cache.get(cache.key("r1", "anna", None)) is None
    keep(cache, "r1")
    assert cache.get(cache.key("r1", "anna", None)) == view("r1")


# ------------------------------------------------------------------ the caching RPC client

WHEN = datetime(2026, 1, 5, tzinfo=UTC)
AREAS = ["WK034403"]


class Matching:
    """Matching behind the caching client: records each verb it is asked; `down` makes every
    call time out."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.down = False

    async def call(
        self, verb: AnyVerb, request: Any = None, *, timeout: float | None = None
    ) -> Any:
        self.asked.append(verb.name)
        if self.down:
            raise Unavailable("matching did not answer")
        if verb in (mc.PROPOSAL_ACCEPT, mc.PROPOSAL_DECLINE):
            return mc.ProposalView(
                proposal_id=request.proposal_id,
                request_id="r1",
                volunteer_id=request.volunteer_id,
                state="accepted",
                round=1,
                category="groceries",
                urgent=False,
                needed_from=None,
                needed_until=None,
                flexible=True,
                neighbourhood="BU03440312",
                proposed_at=WHEN,
                expires_at=WHEN,
            )
        return view(getattr(request, "request_id", "r1"))


def caching() -> tuple[RequestCachingRpc, RequestViewCache, Matching]:
    cache, _ = views()
    matching = Matching()
    return RequestCachingRpc(matching, cache), cache, matching


COMMANDS = [
    (mc.REQUEST_CANCEL, mc.RequestCancel(request_id="r1", actor_id="anna")),
    (mc.REQUEST_COMPLETE, mc.RequestComplete(request_id="r1", actor_id="anna", hours=1)),
    (mc.REQUEST_FEEDBACK, mc.RequestFeedback(request_id="r1", actor_id="anna", score=5)),
    *(
        (
            verb,
            mc.CoordinatorMatch(
                coordinator_id="c", area_codes=AREAS, request_id="r1", volunteer_id="v"
            ),
        )
        for verb in (mc.COORDINATOR_MATCH, mc.COORDINATOR_REASSIGN)
    ),
    (
        mc.COORDINATOR_CANCEL,
        mc.CoordinatorCancel(coordinator_id="c", area_codes=AREAS, request_id="r1"),
    ),
    (
        mc.COORDINATOR_CLOSE,
        mc.CoordinatorClose(coordinator_id="c", area_codes=AREAS, request_id="r1", note="done"),
    ),
]


def test_every_command_that_drops_views_names_its_request() -> None:
    assert {verb for verb, _ in COMMANDS} == COMMANDS_ON_A_REQUEST
    assert all("request_id" in verb.request.model_fields for verb in COMMANDS_ON_A_REQUEST)


async def test_a_request_is_read_from_matching_once_and_other_verbs_every_time() -> None:
    rpc, _, matching = caching()
    mine = mc.RequestQuery(request_id="r1", actor_id="anna")
    assert await rpc.call(mc.REQUEST_GET, mine) == view("r1")
    assert await rpc.call(mc.REQUEST_GET, mine) == view("r1")
    coordinator = mc.RequestQuery(request_id="r1", actor_id="anna", area_codes=AREAS)
    await rpc.call(mc.REQUEST_GET, coordinator)  # another area list: its own view
    board = mc.NoticeBoardQuery(area_code="WK034403")
    await rpc.call(mc.NOTICE_BOARD, board)
    await rpc.call(mc.NOTICE_BOARD, board)
    assert matching.asked == ["request.get"] * 2 + ["request.notice_board"] * 2


@pytest.mark.parametrize(("verb", "command"), COMMANDS, ids=lambda v: str(v))
@pytest.mark.parametrize("down", [False, True], ids=["answered", "timed out"])
async def test_a_command_about_a_request_drops_its_views_even_unanswered(
    verb: AnyVerb, command: Any, down: bool
) -> None:
    rpc, cache, matching = caching()
    keep(cache, "r1")
    keep(cache, "r2")
    matching.down = down
    if down:
        with pytest.raises(Unavailable):
            await rpc.call(verb, command)
    else:
        await rpc.call(verb, command)
    assert cache.get(cache.key("r1", "anna", None)) is None
    assert cache.get(cache.key("r2", "anna", None)) == view("r2")


@pytest.mark.parametrize("verb", [mc.PROPOSAL_ACCEPT, mc.PROPOSAL_DECLINE], ids=str)
async def test_an_answered_proposal_drops_its_requests_views(verb: AnyVerb) -> None:
    rpc, cache, matching = caching()
    keep(cache, "r1")
    answer = mc.ProposalAnswer(proposal_id="p1", volunteer_id="v1")
    matching.down = True  # which request it was about is not known: its event drops it
    with pytest.raises(Unavailable):
        await rpc.call(verb, answer)
    assert cache.get(cache.key("r1", "anna", None)) == view("r1")
    matching.down = False
    proposal = await rpc.call(verb, answer)
    assert proposal.request_id == "r1"
    assert cache.get(cache.key("r1", "anna", None)) is None
