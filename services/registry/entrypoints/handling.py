"""What the registry's verb handlers work with, and how their tables are answered."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.registry.service_layer.member_imports import Live
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.contracts.verbs import AnyVerb
from shared.rpc import Handler
from shared.service import ServiceRuntime


@dataclass(frozen=True)
class Dependencies:
    uow: Callable[[], RegistryUnitOfWork]
    imports_running: Live


Translation = Callable[[Any, Dependencies], Awaitable[Any]]
"""A verb's handler: the request, translated into a use-case call."""


def answer(
    runtime: ServiceRuntime, table: Mapping[AnyVerb, Translation], deps: Dependencies
) -> None:
    def bound(translate: Translation) -> Handler:
        return lambda request: translate(request, deps)

    runtime.answer({verb: bound(translate) for verb, translate in table.items()})
