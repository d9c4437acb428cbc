"""Settings: every field is also an environment variable (prefix SAMEN_, except NATS_URL).

docs/configuration.md lists them; `samen config` prints the values in force.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.subjects import ADMIN_USER, JS_API, JS_API_PREFIX


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMEN_", extra="ignore")

    env: Literal["development", "production", "test"] = Field(
        default="development", description="production logs JSON; development logs readable lines"
    )
    data_dir: Path = Field(default=Path("var"), description="SQLite files, JetStream, e-mails")
    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        validation_alias=AliasChoices("NATS_URL", "SAMEN_NATS_URL"),
        description="NATS server(s), comma separated",
    )
    nats_user: str | None = Field(default=None, description="NATS user of this service")
    nats_password: str | None = Field(default=None, description="NATS password of this service")
    nats_js_api_prefix: str | None = Field(
        default=None,
        description=(
            "JetStream API subject prefix; default samen.js for a NATS user with a password "
            "other than admin (its account imports it: deploy/nats/auth.conf), else $JS.API"
        ),
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<data_dir>/<service>.db",
    )
    log_level: str = Field(default="INFO")
    log_format: Literal["json", "console"] | None = Field(
        default=None,
        description="json: one JSON object a line (what `samen logs` reads; `samen up` sets it "
        "for the services); console: readable lines; unset: json in production, else console",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="OpenTelemetry OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces)",
    )
    metrics_port: int | None = Field(
        default=None,
        description="serve Prometheus /metrics on this port, never the web port (every service "
        "and the gateway; off if unset)",
    )
    metrics_host: str = Field(
        default="0.0.0.0",
        description="address /metrics listens on (Prometheus scrapes it inside the cluster; "
        "`samen up` makes it 127.0.0.1)",
    )
    stream_replicas: int = Field(default=1, ge=1, le=5, description="JetStream replicas")
    retry_base_seconds: float = Field(
        default=1.0, gt=0, description="first delay before a failed event is retried (doubles)"
    )
    rpc_timeout: float = Field(default=5.0, gt=0, description="seconds to wait for a reply")
    http_host: str = Field(default="127.0.0.1", description="gateway listen address")
    http_port: int = Field(default=8000, description="gateway port")
    secret_key: str | None = Field(
        default=None,
        description="signs accept/decline links and CSRF tokens: 32 or more random characters; "
        "notify and the gateway refuse to start without it (`samen up` makes one in "
        "<data_dir>/secret_key)",
    )
    secret_key_previous: str = Field(
        default="",
        description="comma-separated keys being rotated out: links and CSRF tokens signed "
        "with them still verify; everything new is signed with SAMEN_SECRET_KEY",
    )
    public_url: str = Field(default="http://127.0.0.1:8000", description="links in messages")
    time_zone: str = Field(
        default="Europe/Amsterdam",
        max_length=60,
        description="the cooperative's IANA time zone: times are stored in UTC and shown, asked "
        "for and sent in this zone (pages, e-mails, inbox, reminders, availability)",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"not an IANA time zone: {value!r}") from exc
        return value

    def logs_json(self) -> bool:
        return self.log_format == "json" or (self.log_format is None and self.env == "production")

    @property
    def in_production(self) -> bool:
        """Served for real: SAMEN_ENV=production or an https public address. Published keys
        and passwords are refused then (shared.credentials)."""
        return self.env == "production" or self.public_url.startswith("https://")

    def previous_secret_keys(self) -> tuple[str, ...]:
        return tuple(key.strip() for key in self.secret_key_previous.split(",") if key.strip())

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{self.data_dir / f'{service}.db'}"

    def reply_inbox(self) -> str:
        """Where this connection's replies arrive: `_INBOX_<user>` when it has a NATS user, so
        a user may read its own replies and nobody else's (deploy/nats/auth.conf)."""
        return f"_INBOX_{self.nats_user}" if self.nats_user else "_INBOX"

    def js_api_prefix(self) -> str:
        """Where this connection reaches the JetStream API. A service or plug-in user lives in
        an account of its own, which imports only its own durable consumers' API subjects
        under samen.js; the admin (and an open server without users) has the streams."""
        if self.nats_js_api_prefix:
            return self.nats_js_api_prefix
        own_account = self.nats_user not in (None, ADMIN_USER) and bool(self.nats_password)
        return JS_API_PREFIX if own_account else JS_API

    def nats_servers(self) -> list[str]:
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
