"""Settings only the gateway reads (environment variables with the SAMEN_ prefix)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMEN_", extra="ignore")

    session_days: int = Field(default=14, ge=1, description="how long a sign-in lasts")
    login_attempts: int = Field(
        default=5, ge=1, description="failed log-ins per e-mail address and per window"
    )
    login_window_minutes: int = Field(default=15, ge=1)
    register_attempts: int = Field(
        default=20, ge=1, description="registrations per client address and per window"
    )
    register_window_minutes: int = Field(default=60, ge=1)
    cookie_secure: bool | None = Field(
        default=None,
        description="Secure flag on cookies; default: on in production (SAMEN_ENV=production "
        "or an https SAMEN_PUBLIC_URL; there the gateway sends HSTS as well)",
    )
    demo: bool = Field(default=False, description="seed Utrecht demo data at start")
    session_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="how long a gateway process trusts a session it looked up (0: off); "
        "another process honours a revoked session at most this long",
    )
    request_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="longest a gateway process keeps a request as matching showed it (0: off); "
        "the request's events drop it sooner",
    )
    request_cache_size: int = Field(
        default=5000, ge=1, description="requests a gateway process keeps in memory at most"
    )


@lru_cache
def get_gateway_settings() -> GatewaySettings:
    return GatewaySettings()
