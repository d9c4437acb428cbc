"""`python -m services.gateway` serves the gateway with uvicorn."""

import socket

import uvicorn

from services.gateway.config import get_gateway_settings
from shared import heap
from shared.settings import get_settings

SERVICE = "gateway"


class Server(uvicorn.Server):
    """uvicorn's server, settling the heap once the app has started (see shared.heap)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            heap.settle(SERVICE)


if __name__ == "__main__":
    settings = get_settings()
    heap.collect_less_often(SERVICE)
    config = uvicorn.Config(
        "services.gateway.main:app",
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # structlog owns logging
        access_log=False,
        **get_gateway_settings().proxy_options(),
    )
    Server(config).run()
