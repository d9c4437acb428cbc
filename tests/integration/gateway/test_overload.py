"""A service too busy to answer in time: the gateway says so at once, with when to retry."""

import pytest

from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration


@pytest.fixture
def rpc_timeout() -> float:
    return 0.5


async def test_a_request_matching_cannot_answer_in_time_is_503_with_retry_after(
    running_gateway: RunningGateway,
) -> None:
    running_gateway.world.matching_delay = 2.0
    async with running_gateway.client() as client:
        await running_gateway.register(client, "ans@example.nl")
        headers = await running_gateway.bearer(client, "ans@example.nl")
        response = await client.post(
            "/api/v1/requests",
            json={"category": "groceries", "description": "Boodschappen voor zaterdag"},
            headers=headers,
        )
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0
