"""Settings only notify reads (environment variables with the SAMEN_ prefix)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMEN_", extra="ignore")

    smtp_url: str | None = Field(
        default=None, description="smtp://user:pass@host:port; unset writes .eml files"
    )
    mail_from: str = Field(default="Samen <noreply@samen.local>")
    quiet_hours: str = Field(
        default="22:00-08:00",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="the quiet hours (local time, from-until) of members who never chose "
        "their own; the same time twice means none",
    )
    apprise_extra_schemes: str = Field(
        default="",
        max_length=500,
        description="comma-separated Apprise schemes members may use beyond the hosted "
        "services (Telegram, SMS providers, Discord, Slack, ...), e.g. signal,signals for a "
        "Signal gateway of your own; json, xml, form and http(s) webhooks let a member have "
        "notify post to any address, so allow them only where that reaches nothing internal",
    )

    def apprise_schemes(self) -> frozenset[str]:
        """The schemes SAMEN_APPRISE_EXTRA_SCHEMES allows, lower case."""
        return frozenset(
            part.strip().lower().removesuffix("://")
            for part in self.apprise_extra_schemes.split(",")
            if part.strip()
        )


@lru_cache
def get_notify_settings() -> NotifySettings:
    return NotifySettings()
