"""The registry's unit of work on its database: the shared one plus the SQL repositories."""

from typing import Self

from services.registry.adapters.directory import DirectoryRepository
from services.registry.adapters.member_imports import MemberImports
from services.registry.adapters.members import SqlMemberRepository
from services.registry.adapters.repository import RegistryRepository
from services.registry.adapters.volunteer_profiles import SqlProfileRepository
from shared.uow import UnitOfWork


class SqlRegistryUnitOfWork(UnitOfWork):
    """Implements the service layer's `RegistryUnitOfWork` Protocol."""

    members: SqlMemberRepository
    volunteers: SqlProfileRepository
    repo: RegistryRepository
    imports: MemberImports
    directory: DirectoryRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.members = SqlMemberRepository(self.session)
        self.volunteers = SqlProfileRepository(self.session)
        self.repo = RegistryRepository(self.session)
        self.imports = MemberImports(self.session)
        self.directory = DirectoryRepository(self.session)
        return self
