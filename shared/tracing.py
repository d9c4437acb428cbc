"""Optional OpenTelemetry tracing, on when `SAMEN_OTLP_ENDPOINT` is set.

Work is linked across HTTP, request/reply and events by its correlation id: the trace id of
every span is derived from it, so an HTTP request and every event it caused (published later by
an outbox relay, handled later by another service) land in one trace, with no trace headers to
carry through the outbox.
"""

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

_configured = False
_endpoints: set[str] = set()


def configure_tracing(service: str, endpoint: str | None) -> None:
    """Export spans over OTLP/HTTP to `endpoint` (e.g. http://collector:4318/v1/traces).

    The tracer provider is global to the process and set once; another endpoint later (tests
    running several services in one process) is added to it."""
    global _configured
    if not endpoint or endpoint in _endpoints:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if not _configured:
        resource = Resource.create({"service.name": f"samen-{service}"})
        trace.set_tracer_provider(TracerProvider(resource=resource))
        _configured = True
    provider = trace.get_tracer_provider()
    provider.add_span_processor(  # type: ignore[attr-defined]
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))
    )
    _endpoints.add(endpoint)


def enabled() -> bool:
    """Whether spans are exported (an OTLP endpoint was configured in this process)."""
    return _configured


def flush() -> None:
    provider = trace.get_tracer_provider()
    if hasattr(provider, "force_flush"):
        provider.force_flush()


def trace_id_for(correlation_id: str) -> int:
    """The 128-bit trace id of a correlation id (UUIDs map onto themselves)."""
    hexa = correlation_id.replace("-", "").lower()
    if len(hexa) == 32 and all(c in "0123456789abcdef" for c in hexa) and int(hexa, 16):
        return int(hexa, 16)
    return int.from_bytes(hashlib.blake2b(correlation_id.encode(), digest_size=16).digest(), "big")


@contextmanager
def span(
    name: str, correlation_id: str | None, kind: SpanKind = SpanKind.INTERNAL, **attributes: Any
) -> Iterator[None]:
    """A span in the trace of `correlation_id` (a no-op when tracing is off)."""
    if not _configured or not correlation_id:
        yield
        return
    tracer = trace.get_tracer("samen")
    parent = NonRecordingSpan(
        SpanContext(
            trace_id=trace_id_for(correlation_id),
            span_id=random.getrandbits(64) or 1,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
    )
    context = trace.set_span_in_context(parent)
    attributes = {k: str(v) for k, v in attributes.items() if v is not None}
    with tracer.start_as_current_span(
        name,
        context=context,
        kind=kind,
        attributes={"samen.correlation_id": correlation_id, **attributes},
    ):
        yield
