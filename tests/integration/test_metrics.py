"""Prometheus metrics of a service and of the gateway."""

from collections.abc import Callable

import httpx
import pytest

from samen.nats_server import free_port
from shared.events import Envelope, EventData
from shared.settings import Settings
from shared.streams import ConsumerSpec
from shared.uow import UnitOfWork
from tests.conftest import RunningSystem
from tests.support import eventually, metric_sample, plumbing_runtime

pytestmark = pytest.mark.integration


class Counted(EventData):
    TYPE = "test.counted"
    n: int


async def test_a_service_counts_what_it_handles_and_publishes(
    settings_for: Callable[[str], Settings],
) -> None:
    port = free_port()
    runtime = plumbing_runtime(settings_for("plumbing").model_copy(update={"metrics_port": port}))

    async def on_counted(event: Envelope, uow: UnitOfWork) -> None:
        if event.payload(Counted).n == 13:
            raise RuntimeError("unlucky")

    spec = ConsumerSpec("plumbing", "test-metrics", ("samen.evt.test.>",), max_deliver=1)
    runtime.consume({Counted.TYPE: on_counted}, spec=spec)
    await runtime.start()
    try:
        async with runtime.uow() as uow:
            for n in (1, 2, 13):
                uow.emit(Counted(n=n))
            await uow.commit()

        async def scraped() -> str | None:
            async with httpx.AsyncClient() as client:
                text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            done = metric_sample(text, "samen_dlq_messages_total", consumer="test-metrics")
            return text if done >= 1 else None

        text = await eventually(scraped, message="the metrics never showed the dead letter")
    finally:
        await runtime.stop()
    labels = {"consumer": "test-metrics", "type": "test.counted"}
    assert metric_sample(text, "samen_messages_handled_total", **labels) >= 2
    assert metric_sample(text, "samen_messages_failed_total", **labels) >= 1
    assert metric_sample(text, "samen_events_published_total", type="test.counted") >= 3
    assert metric_sample(text, "samen_handler_seconds_count", consumer="test-metrics") >= 2
    assert "samen_rpc_seconds_bucket{" in text or "samen_rpc_seconds" in text


def test_the_gateway_serves_http_metrics_on_a_port_of_its_own(system: RunningSystem) -> None:
    httpx.get(f"{system.url}/readyz", timeout=10)
    text = httpx.get(system.metrics_url, timeout=10).text
    assert metric_sample(text, "samen_http_requests_total", route="/readyz", status="200") >= 1
    assert "samen_http_request_seconds_bucket" in text
