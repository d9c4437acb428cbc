"""`samen members import FILE.csv` as a real process, against a real database and nats-server."""

import asyncio
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import nats
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from services.registry.adapters.members import IMPORTED_TABLES, SqlMemberRepository
from services.registry.adapters.orm import members, volunteer_profiles
from services.registry.bootstrap import RegistryRuntime
from services.registry.service_layer.imports import import_members
from shared.contracts import registry as c
from shared.db import create_engine
from shared.subjects import EVENTS_STREAM
from tests.conftest import REPO
from tests.integration.registry.csvgen import member_rows, write_csv
from tests.integration.registry.test_members_rpc import make_coordinator
from tests.privacy import personal

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


async def samen(*args: str, database_url: str, nats_url: str) -> tuple[int, str]:
    env = dict(os.environ)
    env.update(
        {
            "SAMEN_DATABASE_URL": database_url,
            "NATS_URL": nats_url,
            "SAMEN_LOG_LEVEL": "WARNING",
            "FORCE_COLOR": "1",  # a terminal, so the progress bar is drawn
            "COLUMNS": "120",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "samen",
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return process.returncode, ANSI.sub("", out.decode())


async def counts(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            people = await conn.scalar(select(func.count()).select_from(members))
            profiles = await conn.scalar(select(func.count()).select_from(volunteer_profiles))
        return int(people or 0), int(profiles or 0)
    finally:
        await engine.dispose()


async def stream_count(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return int((await nc.jetstream().stream_info(EVENTS_STREAM)).state.messages)
    finally:
        await nc.close()


async def test_importing_10000_rows_shows_progress_and_a_second_run_adds_nothing(
    tmp_path: Path, database_url: Callable[[str], str], nats_url: str, backend: str
) -> None:
    # 10,000 rows on SQLite; PostgreSQL runs the same path with fewer rows to keep the suite
    # fast (bench/registry_import.py times 10,000 rows on both).
    rows = 10_000 if backend == "sqlite" else 2_000
    volunteers = rows // 5
    personal("Testpersoon", "example.org")
    url = database_url("registry")
    file = write_csv(tmp_path / "members.csv", member_rows(rows))

    code, out = await samen("members", "import", str(file), database_url=url, nats_url=nats_url)
    assert code == 0, out
    assert "checking rows" in out and "importing" in out and "publishing events" in out
    assert f"{rows}/{rows}" in out
    assert f"✓ {rows} imported ({volunteers} volunteers), 0 already imported, 0 rejected" in out
    assert await counts(url) == (rows, volunteers)
    seeded = 14  # cooperative.created of the seed
    assert await stream_count(nats_url) == seeded + rows + volunteers

    code, out = await samen("members", "import", str(file), database_url=url, nats_url=nats_url)
    assert code == 0, out
    assert f"✓ 0 imported (0 volunteers), {rows} already imported, 0 rejected" in out
    assert await counts(url) == (rows, volunteers)
    assert await stream_count(nats_url) == seeded + rows + volunteers


async def test_rejected_rows_are_reported_by_line_and_all_or_nothing_imports_nothing(
    tmp_path: Path, database_url: Callable[[str], str], nats_url: str
) -> None:
    personal("Testpersoon", "example.org")
    url = database_url("registry")
    rows = member_rows(4)
    rows[1]["email"] = "not-an-email"  # line 3
    rows[3]["postcode"] = "1234"  # line 5
    rows.append(dict(rows[0]))  # line 6: line 2 again
    file = write_csv(tmp_path / "members.csv", rows)

    code, out = await samen(
        "members", "import", str(file), "--all-or-nothing", database_url=url, nats_url=nats_url
    )
    assert code == 1
    assert "line 3: email: 'not-an-email' is not an e-mail address" in out
    assert "line 5: postcode: postcode 1234 is not in a known municipality" in out
    assert "line 6: the same person as line 2" in out
    assert "nothing imported: 3 of 5 rows rejected" in out
    assert await counts(url) == (0, 0)

    code, out = await samen("members", "import", str(file), database_url=url, nats_url=nats_url)
    assert code == 1  # rows were rejected, but the valid ones landed
    assert "✓ 2 imported (1 volunteers), 0 already imported, 3 rejected" in out
    assert await counts(url) == (2, 1)


async def test_people_without_email_or_phone_are_imported_through_their_coordinator(
    registry: RegistryRuntime,
) -> None:
    personal("Testpersoon", "example.org")
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    rows = member_rows(3)
    for row in rows:
        row.update(email="", phone="", postcode="3563 AB")
    without = await import_members(rows, uow_factory=registry.make_uow)
    assert without.imported == 0
    assert {r.reason.split(":")[0] for r in without.rejected} == {"email"}

    progress: list[tuple[str, int, int]] = []
    report = await import_members(
        rows,
        uow_factory=registry.make_uow,
        registered_by=coordinator.member_id,
        progress=lambda *step: progress.append(step),
    )
    assert report.imported == 3 and not report.rejected
    assert progress[-1] == ("import", 3, 3)
    listed = await registry.rpc.call(
        c.MEMBER_LIST, c.MemberListQuery(actor_id=coordinator.member_id, q="testpersoon")
    )
    assert listed.total == 3
    contact = await registry.rpc.call(
        c.MEMBER_CONTACT, c.MemberRef(member_id=listed.members[0].member_id)
    )
    assert contact.via_coordinator_id == coordinator.member_id


async def test_an_import_brings_the_planner_statistics_of_its_tables_up_to_date(
    registry: RegistryRuntime, backend: str
) -> None:
    personal("Testpersoon", "example.org")
    report = await import_members(member_rows(50), uow_factory=registry.make_uow)
    assert report.imported == 50 and report.volunteers == 10

    counted = (
        "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
        if backend == "postgresql"
        else "SELECT DISTINCT tbl FROM sqlite_stat1"
    )
    async with registry.engine.connect() as connection:
        analysed = set((await connection.execute(text(counted))).scalars())
    assert {table.name for table in IMPORTED_TABLES} <= analysed


async def test_an_import_that_cannot_analyse_its_tables_still_lands(
    registry: RegistryRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    personal("Testpersoon", "example.org")

    async def refused(self: SqlMemberRepository) -> None:
        raise OperationalError("ANALYZE members", {}, Exception("must be owner of table members"))

    monkeypatch.setattr(SqlMemberRepository, "refresh_statistics", refused)
    report = await import_members(member_rows(5), uow_factory=registry.make_uow)
    assert report.imported == 5 and not report.rejected
    assert await counts(registry.database_url) == (5, 1)
