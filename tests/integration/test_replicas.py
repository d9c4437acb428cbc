"""Scale-out: two replicas of matching and two of notify on one NATS server share the work
(one durable pull consumer per service) and handle nothing twice."""

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from services.matching import bootstrap as matching
from services.notify import bootstrap as notify
from services.notify.adapters.orm import notifications
from services.registry import bootstrap as registry
from shared.consumer import EventConsumer
from shared.contracts.registry import MEMBER_REGISTER, MemberRegister
from shared.service import ServiceRuntime
from shared.settings import Settings
from shared.subjects import EVENTS_STREAM
from tests.conftest import DatabaseUrlFactory
from tests.support import TEST_SECRET_KEY, eventually

pytestmark = pytest.mark.integration

MEMBERS = 40


async def expected_events(runtime: ServiceRuntime, consumer: EventConsumer) -> int:
    """How many events in the stream this consumer has a handler for."""
    js = runtime.broker.connection.jetstream()
    info = await js.stream_info(EVENTS_STREAM, subjects_filter="samen.evt.>")
    handled_types = set(consumer._handlers)
    return sum(
        count
        for subject, count in (info.state.subjects or {}).items()
        if ".".join(subject.split(".")[2:4]) in handled_types
    )


async def test_replicas_split_the_work_and_handle_nothing_twice(
    nats_url: str, database_url: DatabaseUrlFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def settings(url: str) -> Settings:
        return Settings(
            env="test",
            nats_url=nats_url,
            database_url=url,
            data_dir=tmp_path_factory.mktemp("data"),
            log_level="WARNING",
            secret_key=TEST_SECRET_KEY,
        )

    registry_runtime = registry.build(settings(database_url("registry")))
    matching_db, notify_db = database_url("matching"), database_url("notify")
    builders: list[tuple[Callable[[Settings], ServiceRuntime], str]] = [
        (matching.build, matching_db),
        (matching.build, matching_db),
        (notify.build, notify_db),
        (notify.build, notify_db),
    ]
    await registry_runtime.start()
    replicas = []
    for build, url in builders:
        replica = build(settings(url))
        await replica.start()
        replicas.append(replica)
    matching_a, matching_b, notify_a, notify_b = replicas
    try:
        for n in range(MEMBERS):
            await registry_runtime.rpc.call(
                MEMBER_REGISTER,
                MemberRegister(
                    name=f"Buur {n}",
                    email=f"buur{n}@example.nl",
                    postcode="3561AB",
                    house_number=str(n + 1),
                    roles=["resident", "volunteer"],
                ),
            )

        async def all_handled() -> bool:
            # Every registration's event in the stream first: the registry publishes after its
            # answer, and a count taken before the last one is in would be met too early.
            if await registry_runtime.relay.backlog() > 0:
                return False
            for a, b in ((matching_a, matching_b), (notify_a, notify_b)):
                done = a.consumers[0].handled + b.consumers[0].handled
                if done < await expected_events(a, a.consumers[0]):
                    return False
            return True

        await eventually(all_handled, timeout=60, message="the replicas did not handle every event")

        for a, b in ((matching_a, matching_b), (notify_a, notify_b)):
            expected = await expected_events(a, a.consumers[0])
            handled = (a.consumers[0].handled, b.consumers[0].handled)
            assert sum(handled) == expected, (a.name, handled, expected)  # none twice
            assert min(handled) > 0, (a.name, handled)  # both replicas did some of it

        async with notify_a.sessions() as session:
            welcomes = await session.scalar(
                select(func.count())
                .select_from(notifications)
                .where(notifications.c.template == "welcome")
            )
        assert welcomes == MEMBERS  # one welcome each, not two
    finally:
        for replica in replicas:
            await replica.stop()
        await registry_runtime.stop()
