"""Time is a dependency: services take a Clock so timers and expiry are tested instantly.

Inside Samen every moment is an aware datetime in UTC; only the edges (pages, messages, the
weekly availability people type) speak the cooperative's local time (`SAMEN_TIME_ZONE`).
`to_local` and `from_local` are the one way across that edge.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, replays)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment


def utcnow() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=32)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone(name: str | None = None) -> ZoneInfo:
    """The zone `name`, or the cooperative's (`SAMEN_TIME_ZONE`, validated by the settings)."""
    if name is None:
        from shared.settings import get_settings  # settings import nothing of this module

        name = get_settings().time_zone
    return _zone(name)


def as_utc(moment: datetime) -> datetime:
    """The same moment in UTC; a moment without a zone is refused, never guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time needs a time zone (ISO 8601 with an offset)")
    return moment.astimezone(UTC)


def to_local(moment: datetime, zone: str | ZoneInfo | None = None) -> datetime:
    """A moment as the cooperative's clocks show it."""
    return as_utc(moment).astimezone(zone if isinstance(zone, ZoneInfo) else local_zone(zone))


def from_local(day: date, at: time, zone: str | ZoneInfo | None = None) -> datetime:
    """The UTC moment of a local day and clock time. A time the clocks skip (02:30 on the last
    Sunday of March) counts as the offset before the change; one they show twice (02:30 on the
    last Sunday of October) as its first showing."""
    local = zone if isinstance(zone, ZoneInfo) else local_zone(zone)
    return datetime.combine(day, at, tzinfo=local).astimezone(UTC)
