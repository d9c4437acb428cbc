"""Alembic, run the same way for every service, on SQLite and PostgreSQL.

Each service keeps its revisions in `services/<name>/migrations/`; its `env.py` calls
`run_env(metadata)`. Services migrate at start (`upgrade`), or with `samen migrate`.
"""

import asyncio
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool, text

from shared.db import sync_url


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade_sync(script_location: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, url), revision)


async def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    # Alembic is synchronous; keep it off the event loop.
    await asyncio.to_thread(upgrade_sync, script_location, url, revision)


def run_env(metadata: MetaData) -> None:
    """Body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(str(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,  # SQLite can only alter tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting together migrate one after the other; the lock ends with
                # the migration's transaction.
                connection.execute(text("SELECT pg_advisory_xact_lock(7243001)"))
            context.run_migrations()
    engine.dispose()


def outbox_index_of_unpublished_rows_only() -> None:
    """Migration step (every service with an outbox): the relay's index on unpublished rows
    only (`shared.outbox`), in place of one on every row."""
    unpublished = text("published_at IS NULL")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        postgresql_where=unpublished,
        sqlite_where=unpublished,
    )


def outbox_index_of_every_row() -> None:
    """The downgrade of `outbox_index_of_unpublished_rows_only`."""
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "id"])
