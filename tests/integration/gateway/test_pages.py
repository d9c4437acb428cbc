"""The web pages: usable without JavaScript, Dutch first, and bad form input gets the form
back with a message (never a server error)."""

import pytest

from shared.contracts import registry as rc
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.integration.gateway.fakes import OVERVECHT
from tests.integration.gateway.test_security import form_token

pytestmark = pytest.mark.integration


async def test_pages_speak_dutch_first_and_english_on_request(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        dutch = await client.get("/")
        assert dutch.status_code == 200
        assert '<html lang="nl" dir="ltr">' in dutch.text and "Hulp vragen" in dutch.text
        english = await client.get("/?lang=en")
        assert '<html lang="en" dir="ltr">' in english.text and "Ask for help" in english.text
        remembered = await client.get("/register")
        assert '<html lang="en" dir="ltr">' in remembered.text


async def test_signed_out_visitors_are_sent_to_log_in(running_gateway: RunningGateway) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        response = await client.get("/requests")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/requests"


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/register", {"name": "", "email": "nope", "password": "x"}),
        ("/register", {"name": "A", "email": "a@b.nl", "password": "long enough", "postcode": "1"}),
        ("/login", {"email": "", "password": ""}),
    ],
)
async def test_bad_form_input_gets_the_form_back_with_a_message(
    running_gateway: RunningGateway, path: str, form: dict[str, str]
) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        page = await client.get(path)
        response = await client.post(path, data={**form, "csrf_token": form_token(page.text)})
    assert 400 <= response.status_code < 500
    assert 'class="error-summary"' in response.text


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/ask", {"category": "rocket-science", "description": "x", "when": "any"}),
        ("/ask", {"category": "groceries", "description": "", "when": "day", "day": "gisteren"}),
        ("/volunteer", {"categories": "nothing", "radius_km": "ver", "max_open": "veel"}),
        ("/me/notifications", {"quiet_start": "25:99"}),
    ],
)
async def test_bad_input_on_signed_in_forms_gets_the_form_back_with_a_message(
    running_gateway: RunningGateway, path: str, form: dict[str, str]
) -> None:
    """Signed in, with a valid form token: the answer is the form again with its error
    summary (not a refusal, not a server error), and nothing was asked of matching."""
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await running_gateway.register(client, "forms@example.nl")
        login = await client.get("/login")
        await client.post(
            "/login",
            data={
                "email": "forms@example.nl",
                "password": PASSWORD,
                "csrf_token": form_token(login.text),
            },
        )
        page = await client.get(path)
        assert page.status_code == 200, page.text[:300]
        response = await client.post(path, data={**form, "csrf_token": form_token(page.text)})
    assert response.status_code in (400, 422), response.text[:500]
    assert 'class="error-summary"' in response.text
    assert running_gateway.world.created == []


async def test_the_request_page_tells_a_resident_without_matching_consent_who_handles_it(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        resident = await running_gateway.register(client, "zonder.toestemming@example.nl")
        bearer = await running_gateway.bearer(client, "zonder.toestemming@example.nl")
        request_id = world.add_request(resident, world.members[resident].neighbourhood or "")
        world.requests[request_id] = world.requests[request_id].model_copy(
            update={"escalation_reason": "no_matching_consent"}
        )
        page = await client.get(
            f"/requests/{request_id}", headers={**bearer, "Accept": "text/html"}
        )
    assert page.status_code == 200, page.text[:300]
    assert 'id="no-matching-consent"' in page.text
    assert "Een coördinator neemt contact met u op" in page.text


@pytest.mark.parametrize("shared", [True, False])
async def test_the_helpers_e_mail_shows_only_when_they_agreed_to_share_it(
    running_gateway: RunningGateway, shared: bool
) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        resident = await running_gateway.register(client, "bewoner.mail@example.nl")
        helper = await running_gateway.register(client, "helper.mail@example.nl")
        if shared:
            world.shares_email.add(helper)
        bearer = await running_gateway.bearer(client, "bewoner.mail@example.nl")
        request_id = world.add_request(resident, world.members[resident].neighbourhood or "")
        world.requests[request_id] = world.requests[request_id].model_copy(
            update={"state": "matched", "matched_volunteer_id": helper}
        )
        page = await client.get(
            f"/requests/{request_id}", headers={**bearer, "Accept": "text/html"}
        )
    assert page.status_code == 200, page.text[:300]
    assert ("helper.mail@example.nl" in page.text) is shared


@pytest.mark.parametrize("away", [False, True])
async def test_a_page_names_the_neighbourhood_as_the_registry_does_or_shows_its_code(
    running_gateway: RunningGateway, away: bool
) -> None:
    """The names come from the registry's areas.list; while it does not answer, the page
    still shows, with the neighbourhood's code."""
    world = running_gateway.world
    world.areas_away = away
    async with running_gateway.client() as client:
        resident = await running_gateway.register(client, "buurt.naam@example.nl")
        bearer = await running_gateway.bearer(client, "buurt.naam@example.nl")
        request_id = world.add_request(resident, OVERVECHT)
        page = await client.get(
            f"/requests/{request_id}", headers={**bearer, "Accept": "text/html"}
        )
    assert page.status_code == 200, page.text[:300]
    name = "Wolga- en Donaudreef en omgeving"
    assert (name in page.text) is not away
    assert (f"<dd>{OVERVECHT}</dd>" in page.text) is away
    assert world.area_lists[0] == rc.AreaQuery(level="municipality")
