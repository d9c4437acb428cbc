"""The registry's request/reply verbs through FastStream's in-memory broker.

Where acks and redelivery do not matter (a verb answers or raises), a handler can be tested
without a nats-server: `TestNatsBroker` carries the request to the real handler, with its real
database (SQLite), and the reply back through the same `RpcClient` the services use. Event
consumers and their acks are tested against a real NATS in tests/integration.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from faststream.nats import TestNatsBroker

from services.registry.bootstrap import RegistryRuntime, build
from services.registry.service_layer.reference import seed
from shared.contracts import registry as rc
from shared.errors import Conflict, NotFound
from shared.migrations import upgrade
from shared.service import ServiceRuntime
from shared.settings import Settings
from tests.support import TEST_SECRET_KEY


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[RegistryRuntime]:
    runtime = build(
        Settings(
            env="test",
            nats_url="nats://127.0.0.1:1",  # never reached: the broker is the in-memory one
            database_url=f"sqlite+aiosqlite:///{tmp_path}/registry.db",
            data_dir=tmp_path,
            log_level="WARNING",
            secret_key=TEST_SECRET_KEY,
        )
    )
    assert runtime.migrations is not None
    await upgrade(runtime.migrations, runtime.database_url)
    await seed(runtime.make_uow)  # Utrecht's areas, as the registry's start seeds them
    async with TestNatsBroker(runtime.broker):
        yield runtime
    await runtime.engine.dispose()


def newcomer(email: str = "ans@example.nl") -> rc.MemberRegister:
    return rc.MemberRegister(
        name="Ans de Vries",
        email=email,
        postcode="3561 AB",
        house_number="12",
        roles=["resident"],
    )


async def test_a_registered_member_is_placed_in_her_neighbourhood_and_can_be_read_back(
    registry: ServiceRuntime,
) -> None:
    member = await registry.rpc.call(rc.MEMBER_REGISTER, newcomer())
    assert member.neighbourhood is not None
    assert member.neighbourhood.startswith("BU0344")  # Overvecht, Utrecht

    again = await registry.rpc.call(rc.MEMBER_GET, rc.MemberQuery(member_id=member.member_id))
    assert again.member_id == member.member_id
    assert again.neighbourhood == member.neighbourhood


async def test_the_verbs_errors_come_back_typed(registry: ServiceRuntime) -> None:
    await registry.rpc.call(rc.MEMBER_REGISTER, newcomer())
    with pytest.raises(Conflict):  # the same address twice
        await registry.rpc.call(rc.MEMBER_REGISTER, newcomer())
    with pytest.raises(NotFound):
        await registry.rpc.call(
            rc.MEMBER_GET, rc.MemberQuery(member_id="01a00000-0000-7000-8000-000000000000")
        )
