"""Settings only the gateway reads (environment variables with the SAMEN_ prefix)."""

import ipaddress
from functools import lru_cache
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMEN_", extra="ignore")

    session_days: int = Field(default=14, ge=1, description="how long a sign-in lasts")
    login_attempts: int = Field(
        default=5,
        ge=1,
        description="failed log-ins of one e-mail address from one client before each further "
        "try of that pair waits (1 once the address or the client had 4 times as many)",
    )
    login_window_minutes: int = Field(
        default=60, ge=1, description="failed log-ins are forgotten after this long without one"
    )
    login_backoff_seconds: float = Field(
        default=2.0, gt=0, description="the first wait; it doubles with each further failure"
    )
    login_backoff_max_seconds: float = Field(
        default=900.0, gt=0, description="the longest wait between two tries of one pair"
    )
    register_attempts: int = Field(
        default=20, ge=1, description="registrations per client address and per window"
    )
    register_window_minutes: int = Field(default=60, ge=1)
    reset_attempts: int = Field(
        default=10, ge=1, description="password reset requests per client address and window"
    )
    reset_address_attempts: int = Field(
        default=3, ge=1, description="password reset requests per e-mail address and window"
    )
    reset_window_minutes: int = Field(default=60, ge=1)
    reset_link_minutes: int = Field(
        default=60, ge=5, le=24 * 60, description="how long a password reset link works"
    )
    invitation_link_days: int = Field(
        default=7,
        ge=1,
        le=30,
        description="how long the link works that invites a member registered at the "
        "information point to set a password",
    )
    email_link_hours: int = Field(
        default=24,
        ge=1,
        le=7 * 24,
        description="how long the link works that confirms a new e-mail address",
    )
    test_message_attempts: int = Field(
        default=3, ge=1, description="test messages a member may ask for per window"
    )
    test_message_window_minutes: int = Field(default=60, ge=1)
    invitation_poll_seconds: float = Field(
        default=30.0,
        ge=0,
        description="how often the gateway asks the registry for imported members to invite "
        "(a log-in without a password and the invitation's e-mail); 0: never",
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Secure flag on cookies; default: on in production (SAMEN_ENV=production "
        "or an https SAMEN_PUBLIC_URL; there the gateway sends HSTS as well)",
    )
    demo: bool = Field(default=False, description="seed Utrecht demo data at start")
    trusted_proxies: str = Field(
        default="",
        description="comma-separated IPs or CIDR networks of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; empty: those headers are ignored",
    )
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
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="largest request body the gateway reads (413 above it), but for uploads",
    )
    max_upload_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=64 * 1024,
        le=20 * 1024 * 1024,
        description="largest file a coordinator uploads (a CSV of members: some 60,000 rows)",
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=4096,
        le=1024 * 1024,
        description="largest request line and headers together (431 above it)",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        # uvicorn would take a typo for a host name and quietly trust nothing (or the wrong one).
        for item in _items(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP address or CIDR network: {item!r}") from exc
        return value

    def proxy_options(self) -> dict[str, Any]:
        """uvicorn's forwarded-header options: off unless trusted proxies are configured, so
        a client cannot choose its own address (and with it its rate-limit key)."""
        proxies = _items(self.trusted_proxies)
        if not proxies:
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": proxies}


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache
def get_gateway_settings() -> GatewaySettings:
    return GatewaySettings()
