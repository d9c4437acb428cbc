"""Notify's unit of work on its database: the shared one plus notify's repositories on its
session. It implements the service layer's `NotifyUnitOfWork`."""

from typing import Self

from services.notify.adapters.preferences_store import PreferencesRepository
from services.notify.adapters.proposal_links import ProposalLinkRepository
from services.notify.adapters.repository import NotificationRepository
from services.notify.adapters.tasks_store import TaskRepository
from shared.uow import UnitOfWork


class SqlNotifyUnitOfWork(UnitOfWork):
    notifications: NotificationRepository
    preferences: PreferencesRepository
    links: ProposalLinkRepository
    tasks: TaskRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.notifications = NotificationRepository(self.session)
        self.preferences = PreferencesRepository(self.session)
        self.links = ProposalLinkRepository(self.session)
        self.tasks = TaskRepository(self.session)
        return self
