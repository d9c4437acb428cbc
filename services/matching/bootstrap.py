"""Composition root of the matching service: wires adapters, handlers and RPC verbs."""

from pathlib import Path

from services.matching.adapters.orm import messaging, metadata
from shared.clock import Clock
from shared.service import ServiceRuntime
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime(
        "matching",
        metadata=metadata,
        tables=messaging,
        migrations=MIGRATIONS,
        settings=settings,
        clock=clock,
    )
    return runtime
