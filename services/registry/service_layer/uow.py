"""The registry's unit of work as the use cases see it: one transaction with the repositories
of services/registry/service_layer/ports.py. The SQL one is in adapters/uow.py; unit tests use
one held in memory."""

from typing import Protocol, Self

from services.registry.service_layer.ports import (
    AreaAndCooperativeRepository,
    DirectoryRepository,
    MemberImportRepository,
    MemberRepository,
    ProfileRepository,
)
from shared.clock import Clock
from shared.transaction import Transaction


class RegistryUnitOfWork(Transaction, Protocol):
    """`async with make_uow() as uow: ...; await uow.commit()`; the events emitted go out with
    the commit, or not at all. A commit raises shared.errors.AlreadyStored when a unique key
    (a member's e-mail address) is taken meanwhile."""

    clock: Clock

    @property
    def members(self) -> MemberRepository: ...

    @property
    def volunteers(self) -> ProfileRepository: ...

    @property
    def repo(self) -> AreaAndCooperativeRepository: ...

    @property
    def directory(self) -> DirectoryRepository: ...

    @property
    def imports(self) -> MemberImportRepository: ...

    def read_only(self) -> Self:
        """A unit of work that only reads (shared.uow.UnitOfWork.read_only)."""
        ...
