"""Schemathesis walks the API as clients would: it follows the OpenAPI links between operations
(a request created, then read, cancelled or completed; a proposal listed, then answered; a
board listed, then a request's candidates and a manual match) so calls carry real ids from
earlier answers. A resident, a volunteer with real proposals and a coordinator each walk; every
step must answer without a server error and keep to the schema, in whatever order."""

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.conftest import RunningSystem
from tests.e2e.conftest import Api, caught_up

pytestmark = pytest.mark.integration

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
WALK = settings(
    max_examples=40,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    phases=[Phase.generate],
)


def walk(system: RunningSystem, headers: dict[str, str]) -> Counter[tuple[str, int]]:
    """One stateful run as the member `headers` sign in; the steps taken, by operation and
    status, so the test can see that the chains reached past a 404."""
    schema = schemathesis.openapi.from_url(f"{system.url}/openapi.json")
    # The event stream never ends, and erasing the walker's own account ends the walk.
    schema = schema.exclude(path="/api/v1/events").exclude(method="DELETE", path="/api/v1/me")
    steps: Counter[tuple[str, int]] = Counter()

    class Walk(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": system.url, "headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            steps[(case.operation.label, response.status_code)] += 1
            case.validate_response(response, checks=CHECKS)

    Walk.run(settings=WALK)
    return steps


def reached(steps: Counter[tuple[str, int]], label: str) -> bool:
    return any(op == label and status < 300 for op, status in steps)


def test_chains_of_api_calls_never_fail_and_keep_to_the_schema(system: RunningSystem) -> None:
    api = Api(system)
    api.register("walking.volunteer@example.nl", "3561 AB", "7", volunteer=True)
    volunteer = api.login("walking.volunteer@example.nl")
    api.http.patch("/api/v1/me", json={"consents": {"matching": True}}, headers=volunteer)
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["groceries", "transport"], "flexible": True, "radius_km": 5},
        headers=volunteer,
    )
    assert profile.status_code == 200, profile.text
    caught_up(system, "matching")

    api.register("walking.resident@example.nl", "3561 AB", "9")
    resident = api.login("walking.resident@example.nl")
    for n in range(4):
        created = api.http.post(
            "/api/v1/requests",
            json={"category": "groceries", "description": f"Boodschappen {n}"},
            headers=resident,
        )
        assert created.status_code == 201, created.text
    caught_up(system, "matching")

    api.admin_create(
        "walking.coordinator@example.nl", "coordinator", cooperative=api.cooperative_of("WK034403")
    )
    coordinator = api.login("walking.coordinator@example.nl")

    volunteer_steps = walk(system, volunteer)
    assert any(
        reached(volunteer_steps, f"POST /api/v1/proposals/{{proposal_id}}/{answer}")
        for answer in ("accept", "decline")
    ), volunteer_steps
    coordinator_steps = walk(system, coordinator)
    assert reached(coordinator_steps, "GET /api/v1/coordinator/requests/{request_id}/candidates"), (
        coordinator_steps
    )
    # Last: the resident's walk cancels and completes the requests the others saw.
    resident_steps = walk(system, resident)
    assert reached(resident_steps, "GET /api/v1/requests/{request_id}"), resident_steps
