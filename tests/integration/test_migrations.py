"""Each service's migrations build exactly the tables its code describes, on SQLite and
PostgreSQL; and the queue-like reads (the outbox relay, notify's delivery rounds) use the
partial indexes meant for them. Their conditions are literal text in the queries, so what holds
for these plans holds for a prepared statement's generic plan too."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, create_engine, text
from sqlalchemy.dialects import postgresql

from services.gateway.adapters.orm import metadata as gateway_metadata
from services.gateway.bootstrap import MIGRATIONS as GATEWAY
from services.matching.adapters.orm import metadata as matching_metadata
from services.matching.bootstrap import MIGRATIONS as MATCHING
from services.notify.adapters import repository as notify_repository
from services.notify.adapters.orm import metadata as notify_metadata
from services.notify.bootstrap import MIGRATIONS as NOTIFY
from services.registry.adapters.orm import metadata as registry_metadata
from services.registry.bootstrap import MIGRATIONS as REGISTRY
from shared.db import sync_url
from shared.migrations import upgrade_sync
from shared.outbox import due_rows

pytestmark = pytest.mark.integration

SERVICES: dict[str, tuple[Path, MetaData]] = {
    "registry": (REGISTRY, registry_metadata),
    "matching": (MATCHING, matching_metadata),
    "notify": (NOTIFY, notify_metadata),
    "gateway": (GATEWAY, gateway_metadata),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_migrations_build_what_the_code_describes(
    service: str, database_url: Callable[[str], str]
) -> None:
    migrations, metadata = SERVICES[service]
    url = sync_url(database_url(service))
    upgrade_sync(migrations, url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


HISTORY = 5000  # rows done with; one in a thousand still open


def _plan(connection: Connection, statement: Any) -> str:
    sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))


def test_queue_reads_use_the_indexes_of_open_rows(
    backend: str, database_url: Callable[[str], str]
) -> None:
    """With a long history of handled rows, the relay's and the delivery rounds' reads go
    through the partial indexes (which hold the open rows only)."""
    if backend != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    url = sync_url(database_url("notify"))
    upgrade_sync(NOTIFY, url)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO notifications (id, idempotency_key, event_id, recipient_id,"
                    " recipient_kind, template, urgent, digest, context, status, due_at,"
                    " channel_index, attempts, inbox_done, created_at, updated_at)"
                    " SELECT 'n' || g, 'k' || g, 'e' || g, 'm', 'member', 'proposal', false,"
                    " false, '{}', CASE WHEN g % 1000 = 0 THEN 'pending' ELSE 'sent' END,"
                    " now(), 0, 1, true, now(), now() FROM generate_series(1, :n) AS g"
                ),
                {"n": HISTORY},
            )
            connection.execute(
                text(
                    "INSERT INTO outbox (event_id, subject, payload, created_at, published_at,"
                    " attempts) SELECT 'e' || g, 's', '{}', now(),"
                    " CASE WHEN g % 1000 = 0 THEN NULL ELSE now() END, 0"
                    " FROM generate_series(1, :n) AS g"
                ),
                {"n": HISTORY},
            )
            connection.execute(text("ANALYZE notifications"))
            connection.execute(text("ANALYZE outbox"))
        now = datetime.now(UTC)
        with engine.connect() as connection:
            due = _plan(connection, notify_repository.due_query(now, 50))
            assert "ix_notifications_open" in due, due
            stale = _plan(connection, notify_repository.stale_sending_query(now))
            assert "ix_notifications_sending" in stale, stale
            relay = _plan(
                connection,
                due_rows(notify_metadata.tables["outbox"], 100).params(now=now),
            )
            assert "ix_outbox_unpublished" in relay, relay
    finally:
        engine.dispose()
