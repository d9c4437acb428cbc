"""The coordinators' tasks: what notify would have sent a member without e-mail, read by a
coordinator who passes it on, and ticked done once it is.

A task keeps ids, a category and times; the names and numbers on it are asked of the
registry each time it is read (request/reply), so they are never kept here and an erased
member's tasks go with their other data. Only a coordinator the task is for sees or ticks
it (a task of someone else's is "not found", as an unknown one is).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.notify.domain.model import Template
from services.notify.domain.passing_on import other_party, side_of
from services.notify.domain.records import Task
from services.notify.service_layer.ports import Registry
from services.notify.service_layer.uow import NotifyUnitOfWork
from shared.clock import Clock
from shared.contracts.notify import PassOnTask, TaskList, TaskPerson, TaskQuery, TaskRef
from shared.contracts.registry import MemberContact
from shared.errors import NotFound


class PassingOn:
    def __init__(
        self, *, uow: Callable[[], NotifyUnitOfWork], clock: Clock, registry: Registry
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._registry = registry

    async def tasks(self, query: TaskQuery) -> TaskList:
        async with self._uow().read_only() as uow:
            tasks = await uow.tasks.tasks_of(
                query.coordinator_id, open_only=query.open_only, limit=query.limit
            )
        return TaskList(tasks=await self._views(tasks))

    async def get(self, ref: TaskRef) -> PassOnTask:
        async with self._uow().read_only() as uow:
            task = await uow.tasks.task_for(ref.task_id, ref.coordinator_id)
        if task is None:
            raise NotFound("No such task.")
        return (await self._views([task]))[0]

    async def done(self, ref: TaskRef) -> PassOnTask:
        """Tick a task done; ticking it again keeps who ticked first and when."""
        async with self._uow() as uow:
            if await uow.tasks.task_for(ref.task_id, ref.coordinator_id) is None:
                raise NotFound("No such task.")
            await uow.tasks.mark_done(ref.task_id, ref.coordinator_id, self._clock.now())
            await uow.commit()
        return await self.get(ref)

    async def _views(self, tasks: list[Task]) -> list[PassOnTask]:
        wanted: set[str] = set()
        for task in tasks:
            wanted.add(task.member_id)
            other = other_party(Template(task.template), task.context)
            if other:
                wanted.add(other)
        contacts = await self._registry.contacts(sorted(wanted)) if wanted else {}
        names: dict[str | None, str | None] = {}
        for task in tasks:
            if task.neighbourhood not in names:
                cooperative = await self._registry.cooperative_of(task.neighbourhood)
                names[task.neighbourhood] = cooperative.name if cooperative else None
        return [task_view(task, contacts, names[task.neighbourhood]) for task in tasks]


def task_view(
    task: Task, contacts: dict[str, MemberContact], cooperative_name: str | None
) -> PassOnTask:
    template = Template(task.template)
    context = task.context
    resident = contacts.get(task.member_id)
    other_id = other_party(template, context)
    other = contacts.get(other_id) if other_id else None
    return PassOnTask(
        task_id=task.task_id,
        template=template.value,
        request_id=task.request_id,
        resident_id=task.member_id,
        resident_name=resident.name if resident else "",
        resident_phone=resident.phone if resident else None,
        side=side_of(template, context),
        other=None
        if other is None
        else TaskPerson(
            first_name=other.first_name,
            phone=other.phone if other.share_phone_with_match else None,
            email=other.email if other.share_email_with_match else None,
        ),
        category=context.get("category"),
        needed_from=_moment(context.get("needed_from")),
        needed_until=_moment(context.get("needed_until")),
        area=task.neighbourhood,
        cooperative_name=cooperative_name,
        created_at=task.created_at,
        done_at=task.done_at,
        done_by=task.done_by,
    )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
