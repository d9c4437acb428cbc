"""The security tests reuse the integration fixtures: real nats-server, real databases."""

from tests.integration.conftest import no_task_outlives_its_test
from tests.integration.gateway.conftest import (
    gateway_clock,
    gateway_options,
    rpc_timeout,
    running_gateway,
)

__all__ = [
    "gateway_clock",
    "gateway_options",
    "no_task_outlives_its_test",
    "rpc_timeout",
    "running_gateway",
]
