"""Prometheus metrics every service exposes (deploy/grafana/dashboard.json draws them).

Every process, the gateway too, serves them on `SAMEN_METRICS_PORT` (off when unset): a port of
its own that Prometheus scrapes inside the cluster, never the public web port, since the figures
tell outsiders how busy each route and service is.
"""

import time
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from shared.logging import route_template

messages_handled = Counter(
    "samen_messages_handled", "Events handled by a consumer", ["service", "consumer", "type"]
)
messages_failed = Counter(
    "samen_messages_failed",
    "Event handler failures (each retried or dead-lettered)",
    ["service", "consumer", "type"],
)
dlq_messages = Counter(
    "samen_dlq_messages", "Messages moved to the dead-letter queue", ["service", "consumer"]
)
handler_seconds = Histogram(
    "samen_handler_seconds",
    "Time to handle one event, commit included",
    ["service", "consumer"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
rpc_seconds = Histogram(
    "samen_rpc_seconds",
    "Time to answer one request/reply call",
    ["service", "verb"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
rpc_errors = Counter(
    "samen_rpc_errors", "Request/reply calls answered with an error", ["service", "verb", "code"]
)
outbox_backlog = Gauge(
    "samen_outbox_backlog",
    "Outbox rows not yet marked published (marking trails publishing by up to half a second)",
    ["service"],
)
events_published = Counter(
    "samen_events_published", "Events the outbox relay published", ["service", "type"]
)
calls_together = Histogram(
    "samen_calls_together",
    "Calls that waited at the same moment and were handled in one go (one transaction)",
    ["service", "call"],
    buckets=(1, 2, 4, 8, 16, 32),
)
collector_pause_seconds = Histogram(
    "samen_collector_pause_seconds",
    "Pauses of Python's cycle collector, by generation (2: a full collection)",
    ["service", "generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
)
collector_frozen_objects = Gauge(
    "samen_collector_frozen_objects",
    "Objects alive at start-up, kept out of every later collection (shared.heap)",
    ["service"],
)
requests_created = Counter("samen_requests_created", "Help requests created")
requests_matched = Counter("samen_requests_matched", "Help requests matched")
requests_escalated = Counter("samen_requests_escalated", "Help requests escalated to a person")
notifications_sent = Counter("samen_notifications_sent", "Notifications delivered")
notifications_failed = Counter("samen_notifications_failed", "Notifications that failed for good")
http_requests = Counter(
    "samen_http_requests", "HTTP requests served by the gateway", ["method", "route", "status"]
)
http_request_seconds = Histogram(
    "samen_http_request_seconds",
    "Time to serve one HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

_DOMAIN_COUNTERS: dict[str, Counter] = {
    "request.created": requests_created,
    "request.matched": requests_matched,
    "request.escalated": requests_escalated,
    "notification.sent": notifications_sent,
    "notification.failed": notifications_failed,
}


def event_published(service: str, event_type: str) -> None:
    events_published.labels(service, event_type).inc()
    if counter := _DOMAIN_COUNTERS.get(event_type):
        counter.inc()


def serve(port: int, host: str = "0.0.0.0") -> WSGIServer:
    """Serve /metrics on its own port (a thread; cheap to scrape); `shutdown()` stops it."""
    server, _ = start_http_server(port, addr=host)
    return server


MAX_HTTP_SERIES = 2000  # (method, route, status) triples kept at hand; routes are templates


class HttpMetricsMiddleware:
    """ASGI middleware counting requests and their latency per route template (not per URL,
    so ids never become label values)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # The labelled series of each (method, route, status): `labels()` validates and locks
        # on every call, which is a measurable share of a fast request.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def _series_of(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = (
                http_requests.labels(method, route, str(status)),
                http_request_seconds.labels(method, route),
            )
            if len(self._series) < MAX_HTTP_SERIES:
                self._series[key] = series
        return series

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = route_template(scope)
            count, seconds = self._series_of(scope.get("method", "GET"), route, status)
            count.inc()
            seconds.observe(time.perf_counter() - started)
