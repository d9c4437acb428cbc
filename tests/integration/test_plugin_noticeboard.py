"""The notice-board example plug-in against a real nats-server with deploy/nats's users.

It runs as the plug-in user of Overvecht, reads its area through its durable consumer, and its
page lists the open requests of Overvecht only, with no personal data. The events are real
envelopes from shared.events, published as matching would publish them; the stories below are
data, so a test against the whole running system can drive the same ones through the gateway.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from nats.aio.msg import Msg

from examples.noticeboard.app import NoticeBoard, create_app
from examples.noticeboard.board import Board
from shared.areas import AreaRef
from shared.clock import FrozenClock
from shared.events import (
    Envelope,
    EventData,
    MatchAccepted,
    MatchProposed,
    RequestCancelled,
    RequestCompleted,
    RequestCreated,
    RequestEscalated,
    RequestMatched,
    envelope,
)
from shared.plugin import PluginSettings
from tests.integration.test_nats_permissions import (
    NOTICEBOARD,
    PLUGIN_USER,
    SecuredNats,
    connect,
    provisioned,
    publish_as_admin,
    secured_nats_server,
)
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[SecuredNats]:
    """nats-server with the users of deploy/nats (see test_nats_permissions)."""
    with secured_nats_server(tmp_path) as server:
        yield server


NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ZAMENHOF = AreaRef.from_code("BU03440321")  # Overvecht
TIGRIS = AreaRef.from_code("BU03440342")  # Overvecht
STERRENWIJK = AreaRef.from_code("BU03440522")  # Oost


@dataclass
class Story:
    """One request's events, as matching publishes them."""

    request_id: str
    area: AreaRef
    events: list[EventData]

    def envelopes(self) -> list[Envelope]:
        return [
            envelope(data, source="matching", area=self.area, occurred_at=NOW)
            for data in self.events
        ]


def created(request_id: str, category: str, *, urgent: bool = False) -> RequestCreated:
    return RequestCreated(
        request_id=request_id,
        requester_id=f"member-secret-{request_id}",
        category=category,
        urgent=urgent,
        needed_from=NOW + timedelta(days=1),
        needed_until=NOW + timedelta(days=1, hours=2),
    )


def proposed(request_id: str, category: str) -> MatchProposed:
    return MatchProposed(
        proposal_id=f"p-{request_id}",
        request_id=request_id,
        volunteer_id=f"volunteer-secret-{request_id}",
        category=category,
        round=1,
        expires_at=NOW + timedelta(hours=4),
    )


def stories() -> list[Story]:
    """Overvecht: three stay open (plain, urgent and asked, escalated), three close; Oost: one."""
    return [
        Story("req-open-groceries", ZAMENHOF, [created("req-open-groceries", "groceries")]),
        Story(
            "req-urgent-garden",
            TIGRIS,
            [
                created("req-urgent-garden", "garden", urgent=True),
                proposed("req-urgent-garden", "garden"),
            ],
        ),
        Story(
            "req-escalated-paperwork",
            ZAMENHOF,
            [
                created("req-escalated-paperwork", "paperwork"),
                RequestEscalated(
                    request_id="req-escalated-paperwork",
                    cooperative_id="utrecht-overvecht",
                    reason="no_candidates",
                ),
            ],
        ),
        Story(
            "req-cancelled-transport",
            ZAMENHOF,
            [
                created("req-cancelled-transport", "transport"),
                RequestCancelled(request_id="req-cancelled-transport"),
            ],
        ),
        Story(
            "req-matched-company",
            TIGRIS,
            [
                created("req-matched-company", "company"),
                proposed("req-matched-company", "company"),
                MatchAccepted(
                    proposal_id="p-req-matched-company",
                    request_id="req-matched-company",
                    volunteer_id="volunteer-secret-req-matched-company",
                ),
                RequestMatched(
                    request_id="req-matched-company",
                    requester_id="member-secret-req-matched-company",
                    volunteer_id="volunteer-secret-req-matched-company",
                ),
            ],
        ),
        Story(
            "req-done-digital",
            ZAMENHOF,
            [
                created("req-done-digital", "digital"),
                RequestCompleted(
                    request_id="req-done-digital",
                    requester_id="member-secret-req-done-digital",
                    volunteer_id=None,
                ),
            ],
        ),
        Story("req-oost-meals", STERRENWIJK, [created("req-oost-meals", "meals")]),
    ]


OPEN_IN_OVERVECHT = {"req-open-groceries", "req-urgent-garden", "req-escalated-paperwork"}


def plugin_settings(nats_: SecuredNats, tmp_path: Path) -> PluginSettings:
    return PluginSettings(
        env="test",
        nats_url=nats_.url,
        nats_user=PLUGIN_USER,
        nats_password=nats_.password(PLUGIN_USER),
        data_dir=tmp_path / "noticeboard",
        log_level="WARNING",
        plugin_cooperative=NOTICEBOARD.cooperative,
        plugin_name=NOTICEBOARD.name,
        plugin_area="WK034403",
    )


@asynccontextmanager
async def running_noticeboard(
    nats_: SecuredNats, tmp_path: Path
) -> AsyncIterator[tuple[NoticeBoard, httpx.AsyncClient]]:
    noticeboard = NoticeBoard(
        plugin_settings(nats_, tmp_path),
        board=Board(tmp_path / "noticeboard" / "board.db"),
        clock=FrozenClock(NOW),
    )
    app = create_app(noticeboard)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://board") as http,
    ):
        yield noticeboard, http
    noticeboard.board.close()


def references(request_ids: set[str]) -> set[str]:
    return {request_id[-5:].upper() for request_id in request_ids}


async def test_the_notice_board_lists_the_open_requests_of_its_own_area_only(
    secured_nats: SecuredNats, tmp_path: Path
) -> None:
    await provisioned(secured_nats)
    updates: list[bytes] = []
    # samen.ext.utrecht-overvecht lives in the plug-in's own NATS account: read it there.
    async with connect(secured_nats, PLUGIN_USER) as listener:

        async def on_update(msg: Msg) -> None:
            updates.append(msg.data)

        await listener.nc.subscribe("samen.ext.utrecht-overvecht.noticeboard.updated", cb=on_update)
        all_events = [e for story in stories() for e in story.envelopes()]
        # Half the events before the board starts (it replays them), half while it runs.
        await publish_as_admin(secured_nats, *all_events[:5])
        async with running_noticeboard(secured_nats, tmp_path) as (noticeboard, http):
            await publish_as_admin(secured_nats, *all_events[5:])

            async def board_settled() -> bool:
                # Every story to its end: the right requests, and each in its last state (the
                # board may show them all open before the escalation has come in).
                shown = {r.request_id: r for r in noticeboard.board.open_requests()}
                return (
                    set(shown) == OPEN_IN_OVERVECHT
                    and shown["req-escalated-paperwork"].status == "escalated"
                    and shown["req-urgent-garden"].status == "asked"
                )

            await eventually(board_settled, message="the board did not settle")

            page = (await http.get("/")).text
            sheet_pdf = (await http.get("/sheet.pdf")).content
            english = (await http.get("/", params={"lang": "en"})).text

        await eventually(
            lambda: _async_true(bool(updates)), message="no samen.ext update was published"
        )

    # Overvecht's open requests, urgent first, with category, when and neighbourhood.
    for code in references(OPEN_IN_OVERVECHT):
        assert code in page
        assert code.encode() in sheet_pdf
    assert page.index(references({"req-urgent-garden"}).pop()) < page.index(
        references({"req-open-groceries"}).pop()
    )
    for text in ("Boodschappen", "Tuin", "Post en formulieren", "Zamenhofdreef en omgeving"):
        assert text in page
        assert text.encode("latin-1") in sheet_pdf
    assert "Tigrisdreef en omgeving" in page
    assert "spoed" in page and "bij de buurtmakelaar" in page
    assert "03-03-2026 10:00" in page  # needed from, in Utrecht's time
    assert "Requests for help in Overvecht" in english and "Groceries" in english
    assert sheet_pdf.startswith(b"%PDF")
    # Nothing of Oost, nothing closed, and no personal data (the ids stand in for it here).
    closed_or_oost = {story.request_id for story in stories()} - OPEN_IN_OVERVECHT
    for document in (page, sheet_pdf.decode("latin-1")):
        assert "Maaltijden" not in document and "Sterrenwijk" not in document
        assert not any(code in document for code in references(closed_or_oost))
        assert "secret" not in document
        assert not any(story.request_id in document for story in stories())
    assert secured_nats.violations() == []


async def test_the_notice_board_goes_on_where_it_stopped_after_a_restart(
    secured_nats: SecuredNats, tmp_path: Path
) -> None:
    await provisioned(secured_nats)
    first, second = stories()[0], stories()[1]
    await publish_as_admin(secured_nats, *first.envelopes(), *second.envelopes())
    async with running_noticeboard(secured_nats, tmp_path) as (noticeboard, _):

        async def both_open() -> bool:
            return len(noticeboard.board.open_requests()) == 2

        await eventually(both_open, message="the board did not show both requests")

    # While it is down, one request is matched; the board learns it when it is back.
    matched = envelope(
        RequestMatched(
            request_id=first.request_id, requester_id="member-secret", volunteer_id="v-secret"
        ),
        source="matching",
        area=first.area,
    )
    await publish_as_admin(secured_nats, matched)
    async with running_noticeboard(secured_nats, tmp_path) as (noticeboard, http):

        async def only_second_open() -> bool:
            return [r.request_id for r in noticeboard.board.open_requests()] == [second.request_id]

        await eventually(only_second_open, message="the board missed what happened meanwhile")
        assert references({second.request_id}).pop() in (await http.get("/")).text


def test_the_board_ignores_redelivered_events_and_never_reopens_a_closed_request() -> None:
    board = Board()
    story = stories()[3]  # created, then cancelled
    events = story.envelopes()
    for e in [*events, *events]:
        board.apply(e)
    assert board.open_requests() == []
    assert board.apply(events[0]) is False


async def _async_true(value: bool) -> bool:
    return value
