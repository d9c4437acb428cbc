"""The planner settings the services give their own PostgreSQL sessions (`shared.db`)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql

from services.matching.adapters.orm import candidates, volunteers
from services.matching.adapters.readmodel import _RING_QUERIES
from services.matching.bootstrap import MIGRATIONS
from shared.db import POSTGRES_SESSION_SETTINGS, create_engine
from shared.migrations import upgrade

VOLUNTEERS = 5000
NEIGHBOURHOODS = 140  # about 36 candidates each, as in Utrecht


@pytest.fixture
def postgres_url(database_url: Callable[[str], str], backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("PostgreSQL's planner")
    return database_url("matching")


async def test_a_service_session_costs_random_reads_as_for_data_in_memory(
    postgres_url: str,
) -> None:
    engine = create_engine(
        postgres_url, connect_args={"server_settings": {"application_name": "planning-test"}}
    )
    try:
        async with engine.connect() as connection:
            cost = await connection.scalar(text("SHOW random_page_cost"))
            name = await connection.scalar(text("SHOW application_name"))
    finally:
        await engine.dispose()
    assert cost == POSTGRES_SESSION_SETTINGS["random_page_cost"]
    assert name == "planning-test"  # a caller's own settings are kept beside it


async def test_the_candidate_look_up_finds_volunteers_by_key_not_by_reading_them_all(
    postgres_url: str,
) -> None:
    await upgrade(MIGRATIONS, postgres_url)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(volunteers),
                [
                    {
                        "member_id": f"v{n:05d}",
                        "categories": ["groceries"],
                        "availability": [],
                        "flexible": True,
                        "radius_km": 3.0,
                        "languages": ["nl"],
                        "max_open": 2,
                        "active": True,
                        "matching_consent": True,
                        "certificate_of_conduct": False,
                        "updated_at": now,
                    }
                    for n in range(VOLUNTEERS)
                ],
            )
            await connection.execute(
                insert(candidates),
                [
                    {
                        "member_id": f"v{n:05d}",
                        "category": "groceries",
                        "municipality": "GM0344",
                        "district": f"WK0344{n % 10:02d}",
                        "neighbourhood": f"BU0344{n % NEIGHBOURHOODS:04d}",
                    }
                    for n in range(VOLUNTEERS)
                ],
            )
            await connection.execute(text("ANALYZE"))
        look_up = _RING_QUERIES["neighbourhood"].params(
            category="groceries", neighbourhood="BU03440007", since=now - timedelta(days=30)
        )
        sql = look_up.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        async with engine.connect() as connection:
            plan = "\n".join((await connection.execute(text(f"EXPLAIN {sql}"))).scalars())
    finally:
        await engine.dispose()
    assert "Seq Scan on volunteers" not in plan, plan
    assert "volunteers_pkey" in plan, plan
