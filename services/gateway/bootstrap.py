"""Composition root of the gateway: database, NATS, the other services, live updates."""

import asyncio
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from faststream.nats import NatsBroker

from services.gateway.adapters.store import GatewayStore, SessionCache
from services.gateway.area_names import AreaDirectory
from services.gateway.config import GatewaySettings, get_gateway_settings
from services.gateway.live import LiveHub
from services.gateway.request_cache import RequestCachingRpc, RequestViewCache, connection_epoch
from shared import credentials, metrics
from shared.clock import Clock, SystemClock
from shared.db import create_engine, session_factory
from shared.migrations import upgrade
from shared.rpc import Rpc, RpcClient
from shared.service import nats_broker
from shared.settings import Settings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"
SESSION_CACHE_ENTRIES = 10_000


class Gateway:
    """Everything a request handler may need, built once per process."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        gateway_settings: GatewaySettings | None = None,
        clock: Clock | None = None,
        broker: NatsBroker | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        # Before anything connects: it derives CSRF tokens from the key, so never a published one.
        credentials.check(self.settings, needs_secret_key=True)
        self.secret_keys = credentials.secret_keys(self.settings)
        self.options = gateway_settings or get_gateway_settings()
        self.clock = clock or SystemClock()
        self.database_url = self.settings.database_url_for("gateway")
        self.engine = create_engine(self.database_url)
        self.session_cache = SessionCache(
            ttl=self.options.session_cache_seconds, max_entries=SESSION_CACHE_ENTRIES
        )
        self.store = GatewayStore(
            session_factory(self.engine), self.clock, session_cache=self.session_cache
        )
        self.broker = broker or nats_broker(self.settings, name="gateway")
        # The live-update subscription also keeps the request cache honest: it drops what
        # each event changes.
        self.request_views = RequestViewCache(
            ttl=self.options.request_cache_seconds,
            max_entries=self.options.request_cache_size,
            connection=connection_epoch(self.broker),
        )
        # Every call to the other services: `request.get` answered from the cache when it can.
        self.rpc: Rpc = RequestCachingRpc(
            RpcClient(self.broker, timeout=self.settings.rpc_timeout), self.request_views
        )
        # The registry's area names, which pages and files show instead of codes.
        self.areas = AreaDirectory(self.rpc)
        self.hub = LiveHub(on_event=self.request_views.follow)
        self._metrics_server: WSGIServer | None = None

    @property
    def production(self) -> bool:
        """Served to the public over HTTPS: SAMEN_ENV=production or an https public address."""
        return self.settings.in_production

    @property
    def cookie_secure(self) -> bool:
        if self.options.cookie_secure is not None:
            return self.options.cookie_secure
        return self.production

    async def start(self) -> None:
        await upgrade(MIGRATIONS, self.database_url)
        await self.broker.start()
        await self.hub.subscribe(self.broker.connection)
        # Metrics on a port of their own, like every service: the web port is public.
        if self.settings.metrics_port and self._metrics_server is None:
            self._metrics_server = metrics.serve(
                self.settings.metrics_port, self.settings.metrics_host
            )

    async def stop(self) -> None:
        if self._metrics_server is not None:
            # shutdown() waits for the serving thread's next poll: not on the event loop.
            await asyncio.to_thread(self._metrics_server.shutdown)
            self._metrics_server.server_close()
            self._metrics_server = None
        self.hub.close()
        await self.areas.close()
        await self.broker.stop()
        await self.engine.dispose()
