"""`python -m services.gateway` serves the gateway with uvicorn."""

import uvicorn

from shared.settings import get_settings

if __name__ == "__main__":
    settings = get_settings()
    uvicorn.run(
        "services.gateway.main:app",
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # structlog owns logging
        access_log=False,
        proxy_headers=True,
    )
