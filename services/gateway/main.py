"""The gateway's FastAPI application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.gateway.routes import health
from shared.logging import CorrelationIdMiddleware, configure_logging
from shared.metrics import HttpMetricsMiddleware, metrics_app
from shared.rpc import RpcClient
from shared.service import nats_broker
from shared.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(service="gateway", env=settings.env, level=settings.log_level)
        broker = nats_broker(settings, name="gateway")
        app.state.broker = broker
        app.state.rpc = RpcClient(broker, timeout=settings.rpc_timeout)
        app.state.settings = settings
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()

    app = FastAPI(
        title="Samen",
        summary="Neighbourhood care cooperatives: ask for help, offer it, match it nearby.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(HttpMetricsMiddleware)
    app.add_middleware(CorrelationIdMiddleware)
    app.mount("/metrics", metrics_app())
    app.include_router(health.router)
    return app


app = create_app()
