"""`python -m services.gateway` serves the gateway with uvicorn."""

import socket

import uvicorn

from services.gateway.limits import server_config
from shared import credentials, heap
from shared.credentials import refuse_to_start
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
    with refuse_to_start(SERVICE):  # before uvicorn, whose start-up failure is a traceback
        credentials.check(settings, needs_secret_key=True)
    heap.collect_less_often(SERVICE)
    config = server_config(
        "services.gateway.main:app",
        host=settings.http_host,
        port=settings.http_port,
        access_log=False,
    )
    Server(config).run()
