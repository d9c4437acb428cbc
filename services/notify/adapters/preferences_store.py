"""Reads and writes of members' and cooperatives' notification preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import (
    cooperative_channels,
    preferences,
)
from services.notify.adapters.repository import dialect_insert
from services.notify.config import get_notify_settings
from shared.contracts.notify import DEFAULT_CHANNELS, CooperativeChannels, Preferences

# ---------------------------------------------------------------- preferences


def default_preferences(member_id: str) -> Preferences:
    quiet_start, quiet_end = get_notify_settings().quiet_hours.split("-")
    return Preferences(member_id=member_id, quiet_start=quiet_start, quiet_end=quiet_end)


class PreferencesRepository:
    """Members' and cooperatives' channel preferences, on one transaction's session
    (implements the service layer's `PreferencesRepository`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_preferences(self, member_id: str) -> Preferences:
        return (await self.preferences_of([member_id]))[member_id]

    async def preferences_of(self, member_ids: Sequence[str]) -> dict[str, Preferences]:
        """Each member's preferences, the defaults for those who never set any."""
        found = {member_id: default_preferences(member_id) for member_id in member_ids}
        if not found:
            return found
        rows = await self._session.execute(
            select(preferences).where(preferences.c.member_id.in_(list(found)))
        )
        for row in rows.mappings():
            found[row["member_id"]] = Preferences(
                member_id=row["member_id"],
                channels=list(row["channels"] or DEFAULT_CHANNELS),
                language=row["language"],
                quiet_start=row["quiet_start"],
                quiet_end=row["quiet_end"],
                timezone=row["timezone"],
                apprise_urls=list(row["apprise_urls"] or []),
                daily_digest=bool(row["daily_digest"]),
                digest_time=row["digest_time"],
            )
        return found

    async def put_preferences(self, prefs: Preferences, now: datetime) -> None:
        values = {
            "channels": list(prefs.channels),
            "language": prefs.language,
            "quiet_start": prefs.quiet_start,
            "quiet_end": prefs.quiet_end,
            "timezone": prefs.timezone,
            "apprise_urls": list(prefs.apprise_urls),
            "daily_digest": prefs.daily_digest,
            "digest_time": prefs.digest_time,
            "updated_at": now,
        }
        statement = (
            dialect_insert(self._session)(preferences)
            .values(member_id=prefs.member_id, **values)
            .on_conflict_do_update(index_elements=["member_id"], set_=values)
        )
        await self._session.execute(statement)

    async def get_cooperative_urls(self, cooperative_id: str) -> list[str]:
        urls = await self._session.scalar(
            select(cooperative_channels.c.apprise_urls).where(
                cooperative_channels.c.cooperative_id == cooperative_id
            )
        )
        return list(urls or [])

    async def get_cooperative_channels(self, cooperative_id: str) -> CooperativeChannels:
        """A cooperative's own channels and digest time; none and the default if never set."""
        row = (
            (
                await self._session.execute(
                    select(cooperative_channels).where(
                        cooperative_channels.c.cooperative_id == cooperative_id
                    )
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return CooperativeChannels(cooperative_id=cooperative_id)
        return CooperativeChannels(
            cooperative_id=cooperative_id,
            apprise_urls=list(row["apprise_urls"] or []),
            digest_time=row["digest_time"],
        )

    async def cooperative_digest_times(
        self, cooperative_ids: Sequence[str]
    ) -> dict[str, str | None]:
        """Each cooperative's own digest time (None: not set), in one query."""
        found: dict[str, str | None] = dict.fromkeys(cooperative_ids)
        if not found:
            return found
        rows = await self._session.execute(
            select(cooperative_channels.c.cooperative_id, cooperative_channels.c.digest_time).where(
                cooperative_channels.c.cooperative_id.in_(list(found))
            )
        )
        for cooperative_id, digest_time in rows.all():
            found[cooperative_id] = digest_time
        return found

    async def put_cooperative_channels(
        self, cooperative_id: str, changes: dict[str, Any], now: datetime
    ) -> None:
        """Store the given fields (`apprise_urls`, `digest_time`) of a cooperative's channels in
        one statement; the fields not given keep their stored values (a new row: the defaults)."""
        values = {**changes, "updated_at": now}
        await self._session.execute(
            dialect_insert(self._session)(cooperative_channels)
            .values(cooperative_id=cooperative_id, **{"apprise_urls": [], **values})
            .on_conflict_do_update(index_elements=["cooperative_id"], set_=values)
        )
