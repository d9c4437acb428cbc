"""Registration is limited per client address."""

import pytest

from services.gateway.config import GatewaySettings
from tests.integration.gateway.conftest import RunningGateway
from tests.integration.gateway.test_security import form_token

pytestmark = pytest.mark.integration


@pytest.fixture
def gateway_options() -> GatewaySettings:
    return GatewaySettings(register_attempts=2, cookie_secure=False, demo=False)


async def test_registration_is_refused_after_too_many_attempts_from_one_client(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "one@example.nl")
        await running_gateway.register(client, "two@example.nl")
        third = await client.post(
            "/api/v1/auth/register",
            json={
                "name": "Three",
                "email": "three@example.nl",
                "password": "a good password",
                "postcode": "3561 AB",
                "house_number": "3",
            },
        )
    assert third.status_code == 429
    assert third.headers["content-type"] == "application/problem+json"
    assert "three@example.nl" not in {m.email for m in running_gateway.world.members.values()}


async def test_the_registration_lock_out_page_is_said_in_dutch(
    running_gateway: RunningGateway,
) -> None:
    """The page, not the API: its words come from the problem's code, never its detail."""
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        for number in range(3):
            page = await client.get("/register")
            answer = await client.post(
                "/register",
                data={
                    "name": "Buur",
                    "email": f"buur{number}@example.nl",
                    "password": "a good password",
                    "postcode": "3561 AB",
                    "house_number": "3",
                    "csrf_token": form_token(page.text),
                },
            )
    assert answer.status_code == 429
    assert "Te veel pogingen" in answer.text
    assert "U heeft het te vaak geprobeerd. Wacht een paar minuten" in answer.text
    assert "Too many" not in answer.text and "Wait a while" not in answer.text
