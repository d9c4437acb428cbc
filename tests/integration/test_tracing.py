"""Optional OpenTelemetry tracing: request/reply and the events it causes share one trace."""

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from pydantic import BaseModel

from samen.nats_server import free_port
from shared import tracing
from shared.contracts.verbs import Verb
from shared.events import Envelope, EventData
from shared.logging import correlation
from shared.settings import Settings
from shared.streams import ConsumerSpec
from shared.uow import UnitOfWork
from tests.support import eventually, plumbing_runtime

pytestmark = pytest.mark.integration


class Pinged(EventData):
    TYPE = "test.pinged"
    n: int


class Ping(BaseModel):
    n: int


PING = Verb("plumbing", "ping", Ping, dict[str, int], "Answer with the number sent.")


class Collector:
    """A real OTLP/HTTP endpoint: decodes the protobuf spans that exporters post to it."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str]] = []  # (name, trace id hex)
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        for s in scope.spans:
                            collector.spans.append((s.name, s.trace_id.hex()))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.port = free_port()
        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/traces"


@pytest.fixture
def collector() -> Iterator[Collector]:
    running = Collector()
    yield running
    running.server.shutdown()


async def test_a_call_and_the_event_it_caused_are_one_trace(
    settings_for: Callable[[str], Settings], collector: Collector
) -> None:
    settings = settings_for("plumbing").model_copy(update={"otlp_endpoint": collector.endpoint})
    runtime = plumbing_runtime(settings)
    handled: list[int] = []

    async def ping(request: Ping) -> dict[str, int]:
        async with runtime.uow() as uow:
            uow.emit(Pinged(n=request.n))
            await uow.commit()
        return {"n": request.n}

    async def on_pinged(event: Envelope, uow: UnitOfWork) -> None:
        handled.append(event.payload(Pinged).n)

    runtime.answer({PING: ping})
    runtime.consume(
        {Pinged.TYPE: on_pinged}, spec=ConsumerSpec("plumbing", "test-trace", ("samen.evt.test.>",))
    )
    await runtime.start()
    cid = "0196f3a0-1234-7000-8000-00000000abcd"
    try:
        with correlation(cid):
            await runtime.rpc.call(PING, Ping(n=7))

        async def was_handled() -> bool:
            return handled == [7]

        await eventually(was_handled)
    finally:
        await runtime.stop()  # flushes the spans

    async def exported() -> bool:
        tracing.flush()
        return {"rpc plumbing.ping", "handle test.pinged"} <= {name for name, _ in collector.spans}

    await eventually(exported, message="the spans did not reach the collector")
    trace_ids = {
        t for name, t in collector.spans if name in {"rpc plumbing.ping", "handle test.pinged"}
    }
    assert trace_ids == {cid.replace("-", "")}
