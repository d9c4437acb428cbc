"""Reads and writes of the web imports' tables (`member_imports`, `member_import_parts`)."""

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import orm
from services.registry.domain.imports import MemberImport

jobs = orm.member_imports
parts = orm.member_import_parts


class MemberImports:
    """Implements the service layer's `MemberImportRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, job: MemberImport) -> None:
        await self.session.execute(insert(jobs).values(**asdict(job)))

    async def get(self, import_id: str, *, for_update: bool = False) -> MemberImport | None:
        query = select(jobs).where(jobs.c.import_id == import_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return MemberImport(**row) if row else None

    async def change(self, import_id: str, changes: Mapping[str, Any]) -> None:
        await self.session.execute(
            update(jobs).where(jobs.c.import_id == import_id).values(**changes)
        )

    async def change_while_running(self, import_id: str, changes: Mapping[str, Any]) -> None:
        await self.session.execute(
            update(jobs)
            .where(jobs.c.import_id == import_id, jobs.c.state.in_(("checking", "importing")))
            .values(**changes)
        )

    async def add_part(self, import_id: str, seq: int, text: str) -> None:
        await self.session.execute(insert(parts).values(import_id=import_id, seq=seq, text=text))

    async def part_count_and_size(self, import_id: str) -> tuple[int, int]:
        row = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(func.length(parts.c.text)), 0)).where(
                    parts.c.import_id == import_id
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def text(self, import_id: str) -> str:
        rows = await self.session.execute(
            select(parts.c.text).where(parts.c.import_id == import_id).order_by(parts.c.seq)
        )
        return "".join(rows.scalars().all())

    async def delete_parts(self, import_id: str) -> None:
        await self.session.execute(delete(parts).where(parts.c.import_id == import_id))

    async def claim_next(self, now: datetime, *, stale_before: datetime) -> str | None:
        """Take the oldest waiting import, or a running one nobody has moved on since
        `stale_before` (its process stopped), for this process. Only one replica's claim
        changes the row, so each import runs once at a time."""
        claimable = or_(
            jobs.c.state == "waiting",
            and_(jobs.c.state.in_(("checking", "importing")), jobs.c.updated_at < stale_before),
        )
        found = await self.session.scalar(
            select(jobs.c.import_id).where(claimable).order_by(jobs.c.created_at).limit(1)
        )
        if found is None:
            return None
        claimed = await self.session.execute(
            update(jobs)
            .where(jobs.c.import_id == found, claimable)
            .values(state="checking", updated_at=now)
        )
        return str(found) if claimed.rowcount == 1 else None  # type: ignore[attr-defined]
