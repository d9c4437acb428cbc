"""Where a member's messages go, in the API and on the page: saving keeps every channel and
Apprise address, addresses show masked, the digest is for coordinators, a test message can
be asked for a few times an hour; and registration over the API takes the matching consent."""

import re

import httpx
import pytest

from services.gateway.config import GatewaySettings
from shared.contracts import notify as nc
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.integration.gateway.test_security import form_token

pytestmark = pytest.mark.integration

TELEGRAM = "tgram://123456789:abcdefghijklmnopqrstuvwxyz_ABCDEFGH/987654321"


@pytest.fixture
def gateway_options() -> GatewaySettings:
    return GatewaySettings(
        login_attempts=3,
        login_backoff_seconds=60,
        register_attempts=50,
        cookie_secure=False,
        demo=False,
        test_message_attempts=2,
    )


async def sign_in(running_gateway: RunningGateway, client: httpx.AsyncClient, email: str) -> str:
    member_id = await running_gateway.register(client, email)
    login = await client.get("/login")
    signed_in = await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": form_token(login.text)},
    )
    assert signed_in.status_code == 303, signed_in.text[:300]
    return member_id


def the_form_as_shown(page: str) -> dict[str, str]:
    """What a browser posts for the page unchanged: each field with the value it shows."""
    form: dict[str, str] = {"csrf_token": form_token(page)}
    for name in ("channel_1", "channel_2", "channel_3", "language"):
        select = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.S)
        assert select, name
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
        form[name] = chosen.group(1) if chosen else ""
    for name in ("quiet_start", "quiet_end"):
        found = re.search(rf'name="{name}" type="time" value="([^"]*)"', page)
        assert found, name
        form[name] = found.group(1)
    return form


async def test_saving_the_page_keeps_the_apprise_channel_and_address(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        member_id = await sign_in(running_gateway, client, "kanalen@example.nl")
        world.preferences[member_id] = nc.Preferences(
            member_id=member_id, channels=["apprise", "email"], apprise_urls=[TELEGRAM]
        )
        page = await client.get("/me/notifications")
        assert page.status_code == 200
        assert TELEGRAM not in page.text  # a secret: shown masked
        assert nc.masked_apprise(TELEGRAM) in page.text
        form = the_form_as_shown(page.text) | {"quiet_start": "21:30"}
        saved = await client.post("/me/notifications", data=form)
    assert saved.status_code == 303, saved.text[:500]
    prefs = world.preferences[member_id]
    assert prefs.channels == ["apprise", "email"]
    assert prefs.apprise_urls == [TELEGRAM]
    assert prefs.quiet_start == "21:30"


async def test_the_page_adds_and_removes_an_apprise_address(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        member_id = await sign_in(running_gateway, client, "toevoegen@example.nl")
        page = await client.get("/me/notifications")
        form = the_form_as_shown(page.text) | {"apprise_add": TELEGRAM, "channel_2": "apprise"}
        assert (await client.post("/me/notifications", data=form)).status_code == 303
        assert world.preferences[member_id].apprise_urls == [TELEGRAM]
        page = await client.get("/me/notifications")
        form = the_form_as_shown(page.text) | {"remove_apprise": nc.apprise_id(TELEGRAM)}
        assert (await client.post("/me/notifications", data=form)).status_code == 303
    assert world.preferences[member_id].apprise_urls == []
    assert world.preferences[member_id].channels == ["email", "apprise"]


async def test_the_api_reads_and_patches_preferences(running_gateway: RunningGateway) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        member_id = await running_gateway.register(client, "api.kanalen@example.nl")
        bearer = await running_gateway.bearer(client, "api.kanalen@example.nl")
        world.preferences[member_id] = nc.Preferences(
            member_id=member_id, channels=["email", "apprise"], apprise_urls=[TELEGRAM]
        )
        shown = await client.get("/api/v1/me/notifications", headers=bearer)
        assert shown.status_code == 200, shown.text
        body = shown.json()
        assert TELEGRAM not in shown.text
        assert body["apprise"] == [
            {
                "id": nc.apprise_id(TELEGRAM),
                "scheme": "tgram",
                "masked": nc.masked_apprise(TELEGRAM),
            }
        ]
        assert body["digest"] == "immediate" and body["may_choose_digest"] is False
        patched = await client.patch(
            "/api/v1/me/notifications",
            json={"quiet_end": "07:30", "language": "en"},
            headers=bearer,
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["channels"] == ["email", "apprise"]  # not named: kept
        assert len(patched.json()["apprise"]) == 1
        assert world.preferences[member_id].quiet_end == "07:30"
        bad = await client.patch(
            "/api/v1/me/notifications", json={"channels": ["pigeon"]}, headers=bearer
        )
        assert bad.status_code == 422
        digest = await client.patch(
            "/api/v1/me/notifications", json={"digest": "daily"}, headers=bearer
        )
        assert digest.status_code == 403


async def test_a_coordinator_chooses_a_daily_digest(running_gateway: RunningGateway) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        member_id = await running_gateway.register(client, "coord.digest@example.nl")
        world.make_coordinator(member_id, "overvecht")
        bearer = await running_gateway.bearer(client, "coord.digest@example.nl")
        patched = await client.patch(
            "/api/v1/me/notifications",
            json={"digest": "daily", "digest_time": "17:00"},
            headers=bearer,
        )
    assert patched.status_code == 200, patched.text
    assert patched.json()["digest"] == "daily" and patched.json()["digest_time"] == "17:00"
    assert world.preferences[member_id].daily_digest is True


async def test_test_messages_are_limited(running_gateway: RunningGateway) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        member_id = await running_gateway.register(client, "test.bericht@example.nl")
        bearer = await running_gateway.bearer(client, "test.bericht@example.nl")
        answers = [
            await client.post("/api/v1/me/notifications/test", headers=bearer) for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert world.test_messages == [member_id, member_id]


async def test_the_page_has_a_test_message_button(running_gateway: RunningGateway) -> None:
    world = running_gateway.world
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        member_id = await sign_in(running_gateway, client, "knop@example.nl")
        page = await client.get("/me/notifications")
        sent = await client.post(
            "/me/notifications/test", data={"csrf_token": form_token(page.text)}
        )
        assert sent.status_code == 303
        done = await client.get(sent.headers["location"])
    assert world.test_messages == [member_id]
    assert "Er is een testbericht onderweg" in done.text


@pytest.mark.parametrize("consent", [True, False])
async def test_registration_over_the_api_takes_the_matching_consent(
    running_gateway: RunningGateway, consent: bool
) -> None:
    async with running_gateway.client() as client:
        response = await client.post(
            "/api/v1/auth/register",
            json={
                "name": "Api Bewoner",
                "email": f"api.{consent}@example.nl",
                "password": PASSWORD,
                "postcode": "3561 AB",
                "house_number": "3",
                "matching": consent,
            },
        )
    assert response.status_code == 202, response.text
    (registered,) = running_gateway.world.registrations
    assert registered.consents["matching"] is consent
