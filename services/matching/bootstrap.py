"""Composition root of the matching service: wires adapters, handlers and RPC verbs."""

from collections.abc import Mapping
from pathlib import Path

from services.matching.adapters.centroids import Centroids
from services.matching.adapters.orm import messaging, metadata
from services.matching.adapters.registry import RegistryOverRpc
from services.matching.domain.rules import LatLon
from services.matching.entrypoints import events, rpc
from services.matching.entrypoints.timers import TimerJob
from services.matching.service_layer.uow import SqlMatchingUnitOfWork
from services.matching.service_layer.usecases import Context
from shared.clock import Clock
from shared.service import ServiceRuntime
from shared.settings import Settings
from shared.streams import ConsumerSpec

MIGRATIONS = Path(__file__).parent / "migrations"


class MatchingRuntime(ServiceRuntime):
    """The service runtime plus what tests and benchmarks reach for."""

    context: Context
    timers: TimerJob

    def matching_uow(self) -> SqlMatchingUnitOfWork:
        return self.uow_factory(SqlMatchingUnitOfWork)()


def build(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    centroids: Mapping[str, LatLon] | None = None,
    timer_poll_seconds: float = 1.0,
    consumer: ConsumerSpec | None = None,
    serve: bool = True,
) -> MatchingRuntime:
    """`centroids`: neighbourhood points (default: the shipped table); `consumer`: another
    durable to read the registry's events with (a rebuild of the read model replays the stream
    into an empty database through a fresh durable); `serve=False` only consumes events (no
    RPC verbs, no timers), for a rebuild."""
    runtime = MatchingRuntime(
        "matching",
        metadata=metadata,
        tables=messaging,
        migrations=MIGRATIONS,
        settings=settings,
        clock=clock,
    )
    ctx = Context(clock=runtime.clock, centroids=centroids or Centroids.national())
    uow = runtime.uow_factory(SqlMatchingUnitOfWork)
    runtime.context = ctx
    runtime.consume(events.handlers(ctx), spec=consumer, uow_factory=uow)
    runtime.timers = TimerJob(uow, ctx, poll_interval=timer_poll_seconds)
    if serve:
        rpc.register(runtime, uow, ctx, RegistryOverRpc(runtime.rpc))
        runtime.background(runtime.timers.run)
    return runtime
