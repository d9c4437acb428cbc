"""`samen matching ...`: operator commands of the matching service.

`samen matching rebuild-read-model` forgets what matching knows of members, volunteers and
cooperatives and rebuilds it by replaying the registry's events from the stream through a
temporary durable consumer. Requests, proposals and timers are kept. Stop the matching service
first (its timers would otherwise match against a half-built read model).
"""

import asyncio
import time
from typing import Annotated

import nats
import typer
from rich.console import Console
from sqlalchemy import delete

from services.matching.adapters.orm import (
    candidates,
    cooperative_areas,
    cooperatives,
    members,
    volunteers,
)
from services.matching.bootstrap import MIGRATIONS, build
from shared.ids import new_id
from shared.migrations import upgrade
from shared.reach import expect_nats
from shared.running_system import settings_for_command, tell
from shared.settings import Settings
from shared.streams import ConsumerSpec, consumers_of
from shared.subjects import EVENTS_STREAM

console = Console()
matching_app = typer.Typer(help="The matching service's read model.", no_args_is_help=True)
COMMANDS = {"matching": matching_app}
READ_MODEL = (candidates, volunteers, members, cooperative_areas, cooperatives)


async def rebuild_read_model(settings: Settings, *, timeout: float = 600.0) -> int:
    """Empty the read model and replay the registry's events into it; returns how many events
    were applied."""
    await expect_nats(settings.nats_servers())
    spec = consumers_of("matching")[0]
    durable = f"matching-rebuild-{new_id()[-12:]}"
    replay = ConsumerSpec(
        service="matching",
        durable=durable,
        filter_subjects=spec.filter_subjects,
        description="one-off replay of the registry's events (samen matching rebuild-read-model)",
    )
    runtime = build(settings, consumer=replay, serve=False)
    await upgrade(MIGRATIONS, runtime.database_url)
    async with runtime.sessions() as session, session.begin():
        for table in READ_MODEL:
            await session.execute(delete(table))
    await runtime.start()
    js = runtime.broker.connection.jetstream(prefix=settings.js_api_prefix())
    try:
        deadline = time.monotonic() + timeout
        while True:
            info = await js.consumer_info(EVENTS_STREAM, durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{info.num_pending} events still to replay after {timeout} s")
            await asyncio.sleep(0.2)
        return runtime.consumers[0].handled
    finally:
        await runtime.stop()
        nc = await nats.connect(
            settings.nats_servers(), user=settings.nats_user, password=settings.nats_password
        )
        try:
            await nc.jetstream(prefix=settings.js_api_prefix()).delete_consumer(
                EVENTS_STREAM, durable
            )
        finally:
            await nc.close()


@matching_app.command("rebuild-read-model")
def rebuild(
    timeout: Annotated[float, typer.Option(help="seconds to wait for the replay")] = 600.0,
) -> None:
    """Rebuild members, volunteers and cooperatives from the registry's events."""
    applied = asyncio.run(
        rebuild_read_model(settings_for_command("matching", say=tell), timeout=timeout)
    )
    console.print(f"[green]✓[/] read model rebuilt from {applied} registry events")
