"""The registry's unit of work: the shared one plus the registry's repository."""

from typing import Self

from services.registry.adapters.directory import DirectoryRepository
from services.registry.adapters.member_imports import MemberImports
from services.registry.adapters.repository import RegistryRepository
from shared.uow import UnitOfWork


class RegistryUnitOfWork(UnitOfWork):
    repo: RegistryRepository
    imports: MemberImports
    directory: DirectoryRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.repo = RegistryRepository(self.session)
        self.imports = MemberImports(self.session)
        self.directory = DirectoryRepository(self.session)
        return self
