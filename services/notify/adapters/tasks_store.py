"""Reads and writes of the coordinators' tasks: messages to pass on to members without e-mail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import coordinator_task_holders, coordinator_tasks
from services.notify.adapters.repository import dialect_insert, record_values, rows_touched
from services.notify.domain.records import Task


def _task(row: Mapping[Any, Any]) -> Task:
    return Task(**row)


class TaskRepository:
    """The coordinators' pass-on tasks, on one transaction's session (implements the service
    layer's `TaskRepository`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_task(self, task: Task, holders: Sequence[str]) -> bool:
        """One task per notification: a round that runs twice adds it once. True when added."""
        insert = dialect_insert(self._session)
        added = await self._session.execute(
            insert(coordinator_tasks)
            .values(**record_values(task))
            .on_conflict_do_nothing(index_elements=["notification_id"])
        )
        if not rows_touched(added):
            return False
        for coordinator_id in dict.fromkeys(holders):  # once each, in the order given
            await self._session.execute(
                insert(coordinator_task_holders)
                .values(task_id=task.task_id, coordinator_id=coordinator_id)
                .on_conflict_do_nothing()
            )
        return True

    async def tasks_of(self, coordinator_id: str, *, open_only: bool, limit: int) -> list[Task]:
        """A coordinator's tasks, oldest open first (what waits longest is done first)."""
        query = (
            select(coordinator_tasks)
            .join(
                coordinator_task_holders,
                coordinator_task_holders.c.task_id == coordinator_tasks.c.task_id,
            )
            .where(coordinator_task_holders.c.coordinator_id == coordinator_id)
        )
        if open_only:
            query = query.where(coordinator_tasks.c.done_at.is_(None))
        query = query.order_by(
            coordinator_tasks.c.done_at.is_not(None),
            coordinator_tasks.c.created_at,
            coordinator_tasks.c.task_id,
        ).limit(limit)
        return [_task(row) for row in (await self._session.execute(query)).mappings()]

    async def task_for(self, task_id: str, coordinator_id: str) -> Task | None:
        """The task, when it is one of `coordinator_id`'s; None otherwise (also when unknown)."""
        query = (
            select(coordinator_tasks)
            .join(
                coordinator_task_holders,
                coordinator_task_holders.c.task_id == coordinator_tasks.c.task_id,
            )
            .where(
                coordinator_tasks.c.task_id == task_id,
                coordinator_task_holders.c.coordinator_id == coordinator_id,
            )
        )
        row = (await self._session.execute(query)).mappings().first()
        return _task(row) if row is not None else None

    async def mark_done(self, task_id: str, coordinator_id: str, at: datetime) -> None:
        """The first tick is kept: who ticked and when does not change when ticked again."""
        await self._session.execute(
            update(coordinator_tasks)
            .where(coordinator_tasks.c.task_id == task_id, coordinator_tasks.c.done_at.is_(None))
            .values(done_at=at, done_by=coordinator_id)
        )

    async def erase_member(self, member_id: str) -> int:
        """The tasks about a member, and a coordinator's place on every task."""
        ids = select(coordinator_tasks.c.task_id).where(coordinator_tasks.c.member_id == member_id)
        count = rows_touched(
            await self._session.execute(
                delete(coordinator_task_holders).where(
                    coordinator_task_holders.c.task_id.in_(ids)
                    | (coordinator_task_holders.c.coordinator_id == member_id)
                )
            )
        )
        count += rows_touched(
            await self._session.execute(
                delete(coordinator_tasks).where(coordinator_tasks.c.member_id == member_id)
            )
        )
        # Who ticked a task done is forgotten with them; the tick stays.
        await self._session.execute(
            update(coordinator_tasks)
            .where(coordinator_tasks.c.done_by == member_id)
            .values(done_by=None)
        )
        return count

    async def member_tasks(self, member_id: str) -> list[Task]:
        query = select(coordinator_tasks).where(coordinator_tasks.c.member_id == member_id)
        return [_task(row) for row in (await self._session.execute(query)).mappings()]
