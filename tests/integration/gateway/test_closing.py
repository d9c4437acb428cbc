"""After the help and around it: feedback from both sides, clear next steps after answering,
a confirm step before cancelling, a page after erasure, and the volunteer's calendar file."""

from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest

from shared.contracts import matching as mc
from shared.contracts import notify as nc
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.integration.gateway.test_security import form_token

pytestmark = pytest.mark.integration

HTML = {"Accept": "text/html"}
# A Saturday before the clocks go forward in 2027 and the Saturday after (Europe/Amsterdam).
BEFORE_MARCH = datetime(2027, 3, 27, 9, 0, tzinfo=UTC)


async def signed_in(gw: RunningGateway, client: httpx.AsyncClient, email: str) -> str:
    member_id = await gw.register(client, email)
    login = await client.get("/login", headers=HTML)
    response = await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": form_token(login.text)},
        headers=HTML,
    )
    assert response.status_code == 303, response.text[:300]
    return member_id


def done_request(gw: RunningGateway, requester: str, volunteer: str) -> str:
    world = gw.world
    request_id = world.add_request(requester, world.members[requester].neighbourhood or "")
    world.requests[request_id] = world.requests[request_id].model_copy(
        update={
            "state": "done",
            "matched_volunteer_id": volunteer,
            "completed_at": datetime.now(UTC),
        }
    )
    return request_id


@pytest.mark.parametrize("who", ["requester", "volunteer"])
async def test_the_feedback_link_opens_a_form_after_the_volunteer_closed_it(
    running_gateway: RunningGateway, who: str
) -> None:
    gw = running_gateway
    async with gw.client() as other, gw.client(headers=HTML) as client:
        if who == "requester":
            volunteer = await gw.register(other, "helper.fb@example.nl")
            me = await signed_in(gw, client, "bewoner.fb@example.nl")
            request_id = done_request(gw, me, volunteer)
        else:
            requester = await gw.register(other, "bewoner.fb@example.nl")
            me = await signed_in(gw, client, "helper.fb@example.nl")
            request_id = done_request(gw, requester, me)
        page = await client.get(f"/requests/{request_id}/feedback")
        assert page.status_code == 200, page.text[:300]
        assert 'id="feedback-form"' in page.text
        assert 'type="radio" id="score-5" name="score" value="5"' in page.text
        assert "Hoe ging het?" in page.text
        sent = await client.post(
            f"/requests/{request_id}/feedback",
            data={"score": "4", "comment": "Fijn geholpen", "csrf_token": form_token(page.text)},
        )
        assert sent.status_code == 303
        thanks = await client.get(sent.headers["location"])
    [given] = gw.world.feedback
    assert (given.actor_id, given.score, given.comment) == (me, 4, "Fijn geholpen")
    assert 'id="feedback-thanks"' in thanks.text and 'id="feedback-form"' not in thanks.text


async def test_feedback_over_the_api(running_gateway: RunningGateway) -> None:
    gw = running_gateway
    async with gw.client() as client:
        volunteer = await gw.register(client, "helper.api@example.nl")
        requester = await gw.register(client, "bewoner.api@example.nl")
        request_id = done_request(gw, requester, volunteer)
        bearer = await gw.bearer(client, "helper.api@example.nl")
        path = f"/api/v1/requests/{request_id}/feedback"
        empty = await client.post(path, json={}, headers=bearer)
        given = await client.post(
            f"/api/v1/requests/{request_id}/feedback", json={"score": 5}, headers=bearer
        )
    assert empty.status_code == 422
    assert given.status_code == 200, given.text
    assert given.json()["my_side"] == "volunteer"
    assert given.json()["feedback_from"] == ["volunteer"]


async def test_cancelling_asks_first_and_then_says_it_is_done(
    running_gateway: RunningGateway,
) -> None:
    gw = running_gateway
    async with gw.client(headers=HTML) as client:
        me = await signed_in(gw, client, "intrekken@example.nl")
        request_id = gw.world.add_request(me, gw.world.members[me].neighbourhood or "", "open")
        page = await client.get(f"/requests/{request_id}")
        assert f'action="/requests/{request_id}/cancel"' not in page.text  # no one-click cancel
        assert f'href="/requests/{request_id}/cancel"' in page.text
        confirm = await client.get(f"/requests/{request_id}/cancel")
        assert confirm.status_code == 200
        assert "Weet u zeker dat u deze hulpvraag wilt intrekken?" in confirm.text
        assert gw.world.requests[request_id].state == "open"  # looking cancels nothing
        done = await client.post(
            f"/requests/{request_id}/cancel", data={"csrf_token": form_token(confirm.text)}
        )
        after = await client.get(done.headers["location"])
    assert gw.world.requests[request_id].state == "cancelled"
    assert "Uw hulpvraag is ingetrokken." in after.text


async def test_declining_in_the_app_ends_on_a_confirmation(
    running_gateway: RunningGateway,
) -> None:
    gw = running_gateway
    async with gw.client() as other, gw.client(headers=HTML) as client:
        requester = await gw.register(other, "vrager.nee@example.nl")
        me = await signed_in(gw, client, "helper.nee@example.nl")
        request_id = gw.world.add_request(requester, "BU03440312", "proposed")
        proposal_id = gw.world.add_proposal(request_id, me)
        page = await client.get("/proposals")
        assert "ongeveer 1.2 km" in page.text  # how far, never an address
        member = gw.world.members[me]
        gw.world.members[me] = member.model_copy(update={"roles": [*member.roles, "volunteer"]})
        bearer = await gw.bearer(other, "helper.nee@example.nl")  # roles come at sign-in
        [listed] = (await other.get("/api/v1/volunteers/me/proposals", headers=bearer)).json()
        assert listed["distance_km"] == 1.2 and listed["expires_at"]
        answered = await client.post(
            f"/proposals/{proposal_id}/decline", data={"csrf_token": form_token(page.text)}
        )
        assert answered.headers["location"] == "/proposals?done=declined"
        after = await client.get(answered.headers["location"])
    assert "Bedankt voor het laten weten." in after.text


async def test_accepting_by_link_says_whom_when_where_and_how_to_reach_them(
    running_gateway: RunningGateway,
) -> None:
    gw = running_gateway
    world = gw.world
    async with gw.client() as other, gw.client(headers=HTML) as client:
        requester = await gw.register(other, "anna.vraagt@example.nl")
        volunteer = await gw.register(other, "helper.link@example.nl")
        world.shares_email.add(requester)
        request_id = world.add_request(requester, "BU03440312", "proposed")
        world.requests[request_id] = world.requests[request_id].model_copy(
            update={
                "needed_from": BEFORE_MARCH,
                "needed_until": BEFORE_MARCH.replace(hour=11),
                "flexible": False,
            }
        )
        proposal_id = world.add_proposal(request_id, volunteer)
        world.links["token-accept"] = nc.ProposalLink(
            proposal_id=proposal_id,
            request_id=request_id,
            volunteer_id=volunteer,
            action="accept",
            expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        )
        question = await client.get("/p/token-accept")
        assert "Ja, ik help" in question.text
        assert "Antwoord voor" in question.text and "ongeveer 1.2 km" in question.text
        answered = await client.post(
            "/p/token-accept", data={"csrf_token": form_token(question.text)}
        )
        again = await client.get("/p/token-accept")
    assert answered.status_code == 200, answered.text[:300]
    page = answered.text
    assert "Dank u wel! U helpt Test." in page  # the requester's first name
    assert "zaterdag 27-3-2027 10:00".lower() in page.lower()  # local time, before the change
    assert "anna.vraagt@example.nl" in page  # the contact they agreed to share
    # The used link shows the answer it got and no button.
    assert "U heeft ja gezegd op deze hulpvraag." in again.text
    assert "Ja, ik help" not in again.text and 'action="/p/' not in again.text


async def test_without_a_shared_contact_they_reach_each_other_via_the_coordinator(
    running_gateway: RunningGateway,
) -> None:
    gw = running_gateway
    world = gw.world
    async with gw.client() as other, gw.client(headers=HTML) as client:
        requester = await gw.register(other, "geen.contact@example.nl")
        me = await signed_in(gw, client, "helper.via@example.nl")
        request_id = world.add_request(requester, "BU03440312", "matched")
        world.requests[request_id] = world.requests[request_id].model_copy(
            update={"matched_volunteer_id": me}
        )
        page = await client.get(f"/requests/{request_id}?done=accepted")
    assert "U bereikt elkaar via de coördinator." in page.text
    assert "geen.contact@example.nl" not in page.text


async def test_the_calendar_file_is_the_matched_volunteers_only(
    running_gateway: RunningGateway,
) -> None:
    gw = running_gateway
    world = gw.world
    async with gw.client(headers=HTML) as requester_client, gw.client(headers=HTML) as client:
        requester = await signed_in(gw, requester_client, "agenda.vraag@example.nl")
        me = await signed_in(gw, client, "agenda.helper@example.nl")
        request_id = world.add_request(requester, "BU03440312", "matched")
        world.requests[request_id] = world.requests[request_id].model_copy(
            update={
                "matched_volunteer_id": me,
                "needed_from": BEFORE_MARCH,
                "needed_until": BEFORE_MARCH.replace(hour=11),
                "flexible": False,
                "description": "Melk en brood halen",
            }
        )
        page = await client.get(f"/requests/{request_id}")
        ics = await client.get(f"/requests/{request_id}/calendar.ics")
        theirs = await requester_client.get(f"/requests/{quote(request_id)}/calendar.ics")
        signed_out = await gw.client().get(f"/requests/{request_id}/calendar.ics")
    assert 'id="calendar"' in page.text
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    body = ics.text
    assert "DTSTART;TZID=Europe/Amsterdam:20270327T100000" in body
    assert "Test" in body and "agenda.vraag@example.nl" not in body  # not shared: not there
    assert "Melk en brood" not in body  # what they wrote stays on the page
    assert theirs.status_code == 404
    assert signed_out.status_code in (303, 401)


async def test_after_erasure_a_page_says_what_was_erased_and_what_stays(
    running_gateway: RunningGateway,
) -> None:
    gw = running_gateway
    async with gw.client(headers=HTML) as client:
        me = await signed_in(gw, client, "weg@example.nl")
        page = await client.get("/me")
        gone = await client.post(
            "/me/delete", data={"confirm": "on", "csrf_token": form_token(page.text)}
        )
        assert gone.headers["location"] == "/erased"
        after = await client.get("/erased")
    assert gw.world.erased == [me]
    assert "Wat we hebben gewist" in after.text and "Wat blijft" in after.text
    assert "uw oude hulpvragen tellen nog mee" in after.text


async def test_the_comment_is_shown_to_coordinators_and_never_to_the_other_side(
    running_gateway: RunningGateway,
) -> None:
    gw = running_gateway
    world = gw.world
    async with gw.client() as api, gw.client(headers=HTML) as client:
        requester = await gw.register(api, "bewoner.oordeel@example.nl")
        volunteer = await gw.register(api, "helper.oordeel@example.nl")
        coordinator = await gw.register(api, "coord.oordeel@example.nl")
        world.make_coordinator(coordinator, "overvecht")
        coordinating = await gw.bearer(api, "coord.oordeel@example.nl")  # roles at sign-in
        request_id = done_request(gw, requester, volunteer)
        world.requests[request_id] = world.requests[request_id].model_copy(
            update={
                "feedback": [
                    mc.FeedbackView(
                        side="volunteer",
                        given_at=datetime.now(UTC),
                        score=2,
                        comment="Lastige trap naar boven",
                    )
                ]
            }
        )
        board = await client.get(f"/board/{request_id}", headers=coordinating)
        bearer = await gw.bearer(api, "bewoner.oordeel@example.nl")
        mine = await api.get(f"/api/v1/requests/{request_id}", headers=bearer)
    assert board.status_code == 200, board.text[:300]
    assert "Lastige trap naar boven" in board.text and "Niet zo goed" in board.text
    assert mine.status_code == 200
    assert "Lastige trap" not in mine.text
    assert mine.json()["feedback_from"] == ["volunteer"] and mine.json()["feedback"] == []


async def test_a_used_link_shows_the_answer_and_no_button_before_notify_heard_of_it(
    running_gateway: RunningGateway,
) -> None:
    """The link was spent on "yes", but notify has not yet had the match's event (its state
    still says open): the page shows the answer, never the button again."""
    gw = running_gateway
    world = gw.world
    async with gw.client() as other, gw.client(headers=HTML) as client:
        requester = await gw.register(other, "vraag.link@example.nl")
        volunteer = await gw.register(other, "helper.gebruikt@example.nl")
        request_id = world.add_request(requester, "BU03440312", "proposed")
        proposal_id = world.add_proposal(request_id, volunteer)
        world.links["token-used"] = nc.ProposalLink(
            proposal_id=proposal_id,
            request_id=request_id,
            volunteer_id=volunteer,
            action="accept",
            expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            used=True,
            answer=None,  # what notify knew when the page was asked for
        )
        world.proposals[proposal_id] = world.proposals[proposal_id].model_copy(
            update={"state": "accepted"}
        )
        page = await client.get("/p/token-used")
    assert page.status_code == 200
    assert "U heeft ja gezegd op deze hulpvraag." in page.text
    assert "Ja, ik help" not in page.text and 'action="/p/' not in page.text
