"""Schemathesis explores /openapi.json against the running system: whatever it sends, the
gateway answers without a server error and every response matches the schema."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import RunningSystem
from tests.e2e.conftest import Api

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def signed_in(system: RunningSystem) -> dict[str, str]:
    api = Api(system)
    api.register("schema@example.nl", "3561 AB", "5", volunteer=True)
    return api.login("schema@example.nl")


def operations(system: RunningSystem) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{system.url}/openapi.json")
    # The event stream never ends, and erasing the test's own account ends the exploration.
    schema = schema.exclude(path="/api/v1/events").exclude(method="DELETE", path="/api/v1/me")
    return [result.ok() for result in schema.get_all_operations()]


def test_the_api_never_fails_and_keeps_to_its_schema(
    system: RunningSystem, signed_in: dict[str, str]
) -> None:
    failures: list[str] = []
    explored = 0
    for operation in operations(system):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def explore(case: Any) -> None:
            case.call_and_validate(base_url=system.url, headers=signed_in, checks=CHECKS)

        try:
            explore()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures
            failures.append(f"{operation.label}: {exc}")
        explored += 1
    assert explored >= 20
    assert not failures, "\n\n".join(failures)
