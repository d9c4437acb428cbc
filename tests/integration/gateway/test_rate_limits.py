"""Registration is limited per client address."""

import pytest

from services.gateway.config import GatewaySettings
from tests.integration.gateway.conftest import RunningGateway

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
