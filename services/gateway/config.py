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
        description="Secure flag on cookies; default: on when SAMEN_PUBLIC_URL is https",
    )
    demo: bool = Field(default=False, description="seed Utrecht demo data at start")


@lru_cache
def get_gateway_settings() -> GatewaySettings:
    return GatewaySettings()
