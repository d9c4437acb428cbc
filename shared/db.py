"""Async SQLAlchemy engines that behave the same on SQLite and PostgreSQL."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Connection, DateTime, Dialect, Engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator

from shared.write_behind import WriteBehindSession


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends. SQLite keeps no time zone: a +01:00 time written
    as it is would come back as the same clock time in UTC, an hour off, so every moment is
    turned into UTC on the way in and read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_text(value: Any) -> str:
    """JSON for a JSON column (orjson: a good deal faster than the json module)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# Set by the services on their own PostgreSQL sessions. A service's database is small and read
# far more than written, so it stays in memory: a random read of a page costs about what a
# sequential one does. With the server's default (4, for spinning disks) the planner joined
# matching's candidates to a sequential scan of every volunteer (5,000 rows per match)
# instead of looking the few dozen up by key.
POSTGRES_SESSION_SETTINGS = {"random_page_cost": "1.1"}


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # JSON columns are read by the hundred per match (every candidate's categories,
    # availability and languages): decoded by orjson, not by the json module.
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # One writer at a time: WAL lets readers go on, busy_timeout makes writers wait their
        # turn instead of failing with "database is locked".
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # No ping before every checkout (a round trip per transaction): a connection the server
    # dropped fails once, SQLAlchemy then discards the whole pool, and the caller's retry (a
    # NAKed event, the relay's next pass, the client's next request) gets a fresh connection.
    # Connections are renewed every half hour so idle ones are not cut off unseen.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 1800)
    if parsed.get_driver_name() == "asyncpg":
        connect_args = kwargs.get("connect_args", {})
        kwargs["connect_args"] = {
            **connect_args,
            "server_settings": {
                **POSTGRES_SESSION_SETTINGS,
                **connect_args.get("server_settings", {}),
            },
        }
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=WriteBehindSession)


def is_postgres(bind: AsyncEngine | Engine | Connection) -> bool:
    """Whether an engine or connection (a session's `get_bind()`, say) speaks PostgreSQL."""
    return bind.dialect.name == "postgresql"


def libpq_url(url: str) -> str:
    """A PostgreSQL URL as libpq, psycopg and asyncpg take it (`postgresql://...`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def shown_url(url: str) -> str:
    """A database (or SMTP) URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return "***"


def sync_url(url: str) -> str:
    """The same database with a synchronous driver (for Alembic)."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


# asyncpg's errors for a server that is away, shutting down, refusing connections or whose
# database is gone; SQLAlchemy wraps most in DBAPIError, a failed connect comes through raw.
_ASYNCPG_UNREACHABLE: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, pg_terminate_backend
    asyncpg.exceptions.InvalidCatalogNameError,  # the database was dropped or renamed
    # "not currently accepting connections", "lock not available"
    asyncpg.exceptions.ObjectNotInPrerequisiteStateError,
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.exceptions.InterfaceError,  # "connection is closed"
)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be reached right now (a dropped or refused
    connection, a server restarting, a locked SQLite file), not a fault in the statement: the
    caller may try again in a moment, so it is answered "unavailable" (503), never 500."""
    for cause in _causes(exc):
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        if isinstance(cause, sa_exc.TimeoutError):  # no connection free in the pool
            return True
        if isinstance(cause, _ASYNCPG_UNREACHABLE):
            return True
        if isinstance(cause, ConnectionError | TimeoutError | socket.gaierror):
            return True  # connect() refused, reset or timed out; the host name not found
    return False
