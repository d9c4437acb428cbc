"""Composition root of the registry service: wires adapters, handlers and RPC verbs."""

from collections.abc import Callable
from pathlib import Path

from services.registry.adapters.orm import messaging, metadata
from services.registry.adapters.uow import SqlRegistryUnitOfWork
from services.registry.entrypoints import rpc
from services.registry.entrypoints.imports import ImportRunner
from services.registry.entrypoints.timers import VolunteerDayJob
from services.registry.service_layer.reference import seed
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.clock import Clock
from shared.service import ServiceRuntime
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


class RegistryRuntime(ServiceRuntime):
    """The shared runtime, plus Utrecht's areas and cooperatives seeded at start."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        super().__init__(
            "registry",
            metadata=metadata,
            tables=messaging,
            migrations=MIGRATIONS,
            settings=settings,
            clock=clock,
        )
        self.make_uow: Callable[[], RegistryUnitOfWork] = self.uow_factory(SqlRegistryUnitOfWork)
        self.volunteer_days = VolunteerDayJob(self.make_uow)

    async def prepare(self) -> None:
        await super().prepare()
        await seed(self.make_uow)


def build(settings: Settings | None = None, clock: Clock | None = None) -> RegistryRuntime:
    runtime = RegistryRuntime(settings, clock)
    imports = ImportRunner(runtime.make_uow)
    rpc.register(runtime, runtime.make_uow, imports.live)
    runtime.background(imports.run)
    runtime.background(runtime.volunteer_days.run)
    return runtime
