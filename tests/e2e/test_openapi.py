"""Schemathesis explores /openapi.json against the running system: for valid input and for
input made invalid on purpose, the gateway answers without a server error, and every
response matches the schema."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
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
NEGATIVE_CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def signed_in(system: RunningSystem) -> dict[str, str]:
    api = Api(system)
    api.register("schema@example.nl", "3561 AB", "5", volunteer=True)
    return api.login("schema@example.nl")


def operations(system: RunningSystem) -> list[Any]:
    # The event stream never ends, and erasing the test's own account ends the exploration.
    schema = (
        schemathesis.openapi.from_url(f"{system.url}/openapi.json")
        .exclude(path="/api/v1/events")
        .exclude(method="DELETE", path="/api/v1/me")
    )
    results = list(schema.get_all_operations())
    unreadable = [r for r in results if not isinstance(r, Ok)]
    assert not unreadable, unreadable
    return [r.ok() for r in results if isinstance(r, Ok)]


def explorer(
    strategy: Any, checks: list[Any], system: RunningSystem, headers: dict[str, str]
) -> Any:
    @given(case=strategy)
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def explore(case: Any) -> None:
        case.call_and_validate(base_url=system.url, headers=headers, checks=checks)

    return explore


def test_the_api_never_fails_and_keeps_to_its_schema(
    system: RunningSystem, signed_in: dict[str, str]
) -> None:
    failures: list[str] = []
    explored = 0
    for operation in operations(system):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # Negative cases break the schema on purpose: they must get a 4xx, never a 5xx.
            checks = CHECKS if mode is GenerationMode.POSITIVE else NEGATIVE_CHECKS

            explore = explorer(
                operation.as_strategy(generation_mode=mode), checks, system, signed_in
            )
            try:
                explore()
            except Unsatisfiable:
                continue  # nothing in this operation can be made invalid (no parameters)
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures
                failures.append(f"{operation.label} ({mode.value}): {exc}")
        explored += 1
    assert explored >= 20
    assert not failures, "\n\n".join(failures)
