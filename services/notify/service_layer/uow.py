"""Notify's unit of work as the use cases see it; adapters/uow.py has the one on the database."""

from typing import Protocol, Self

from services.notify.service_layer.ports import (
    LinkRepository,
    NotificationRepository,
    PreferencesRepository,
    TaskRepository,
)
from shared.clock import Clock
from shared.transaction import Transaction


class NotifyUnitOfWork(Transaction, Protocol):
    """`async with make_uow() as uow: ...; await uow.commit()`: the rows written and the events
    emitted go to the database together, or not at all."""

    @property
    def clock(self) -> Clock: ...

    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def preferences(self) -> PreferencesRepository: ...

    @property
    def links(self) -> LinkRepository: ...

    @property
    def tasks(self) -> TaskRepository: ...

    def read_only(self) -> Self:
        """This unit of work only reads (see `shared.uow.UnitOfWork.read_only`)."""
        ...
