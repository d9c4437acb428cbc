"""`samen matching rebuild-read-model` rebuilds the read model from the stream and keeps the
requests."""

from collections.abc import Callable

import pytest
from sqlalchemy import delete

from services.matching.adapters.orm import candidates, members
from services.matching.cli import rebuild_read_model
from shared.contracts import matching as c
from shared.events import MemberUpdated
from shared.settings import Settings
from tests.integration.matching_support import (
    OVERVECHT,
    TAAG,
    StartMatching,
    start_matching,
)

pytestmark = pytest.mark.integration
__all__ = ["start_matching"]


async def test_rebuilding_the_read_model_restores_it_and_keeps_the_requests(
    start_matching: StartMatching, settings_for: Callable[[str], Settings]
) -> None:
    m = await start_matching()
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker-1"])
    await m.resident("ans", TAAG)
    for n in range(3):
        await m.volunteer(f"v{n}", TAAG)
    await m.publish(MemberUpdated(member_id="v2", roles=["resident"]), TAAG)
    await m.settle()
    request = await m.call(
        c.REQUEST_CREATE,
        c.RequestCreate(requester_id="ans", category="groceries", description="x", flexible=True),
    )
    async with m.runtime.matching_uow() as uow:
        before = await uow.readmodel.dump()
        await uow.session.execute(delete(candidates))  # damage it
        await uow.session.execute(delete(members))
        await uow.commit()
    settings = m.runtime.settings
    await m.stop()

    applied = await rebuild_read_model(settings, timeout=90)
    assert applied == 9  # 1 cooperative, 1 resident, 3 x (registered + profile), 1 update

    m = await start_matching()
    async with m.runtime.matching_uow() as uow:
        assert await uow.readmodel.dump() == before
    view = await m.call(
        c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id="ans")
    )
    assert sorted(p.volunteer_id for p in view.proposals) == ["v0", "v1"]
    js = m.runtime.broker.connection.jetstream()
    durables = [info.name for info in await js.consumers_info("SAMEN_EVENTS")]
    assert not [d for d in durables if d.startswith("matching-rebuild")]
