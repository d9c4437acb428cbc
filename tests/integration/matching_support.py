"""Helpers for the matching service's integration tests: a running service on a real
nats-server and database, registry events published to JetStream as the registry would, and
the events the service published read back from the stream."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import nats
import pytest
from pydantic import BaseModel

from services.matching.bootstrap import MatchingRuntime, build
from shared.areas import AreaRef
from shared.categories import Category
from shared.clock import FrozenClock
from shared.contracts.verbs import Verb
from shared.events import (
    AvailabilitySlot,
    CooperativeCreated,
    Envelope,
    EventData,
    MatchingPolicy,
    MemberRegistered,
    VolunteerProfileUpdated,
    envelope,
)
from shared.settings import Settings
from shared.subjects import EVENTS_STREAM, PUBLISH_ACK_TIMEOUT_SECONDS
from tests.support import eventually

Req = TypeVar("Req", bound=BaseModel)
Res = TypeVar("Res")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Utrecht

OVERVECHT = "WK034403"
TAAG = "BU03440311"  # Overvecht
WOLGA = "BU03440312"  # Overvecht, ~0.7 km from Taag
ZAMENHOF = "BU03440321"  # Overvecht
VOGELENBUURT = "BU03440411"  # Noordoost, ~1.5 km from Taag
OOG_IN_AL = "BU03440112"  # West, ~4 km from Taag


@dataclass
class Matching:
    runtime: MatchingRuntime
    clock: FrozenClock
    published: list[Envelope] = field(default_factory=list)
    stopped: bool = False

    async def call(self, verb: Verb[Req, Res], request: Req) -> Res:
        return await self.runtime.rpc.call(verb, request)

    async def publish(self, data: EventData, area_code: str | None = None) -> Envelope:
        event = envelope(
            data,
            source="registry",
            area=AreaRef.from_code(area_code),
            occurred_at=self.clock.now(),
        )
        await self.runtime.broker.publish(
            event.model_dump_json().encode(),
            event.subject,
            stream=EVENTS_STREAM,
            timeout=PUBLISH_ACK_TIMEOUT_SECONDS,
            headers={"Nats-Msg-Id": event.event_id},
        )
        self.published.append(event)
        return event

    async def settle(self, durable: str = "matching") -> None:
        """Wait until the consumer has handled everything in the stream."""
        js = self.runtime.broker.connection.jetstream()

        async def done() -> bool:
            info = await js.consumer_info(EVENTS_STREAM, durable)
            return info.num_pending == 0 and info.num_ack_pending == 0

        await eventually(done, timeout=20, message="the matching consumer did not catch up")

    async def resident(self, member_id: str, code: str) -> None:
        await self.publish(MemberRegistered(member_id=member_id, roles=["resident"]), code)

    async def volunteer(
        self,
        member_id: str,
        code: str,
        categories: list[str] | None = None,
        *,
        radius_km: float = 5.0,
        **profile: Any,
    ) -> None:
        await self.publish(
            MemberRegistered(member_id=member_id, roles=["resident", "volunteer"]), code
        )
        fields: dict[str, Any] = {
            "member_id": member_id,
            "categories": [Category(c) for c in (categories or ["groceries"])],
            "radius_km": radius_km,
            "flexible": True,
            "matching_consent": True,
        }
        fields.update(profile)
        await self.publish(VolunteerProfileUpdated(**fields), code)

    async def cooperative(
        self,
        cooperative_id: str,
        level: Literal["municipality", "district", "neighbourhood"],
        codes: list[str],
        coordinators: list[str] | None = None,
        policy: MatchingPolicy | None = None,
    ) -> None:
        await self.publish(
            CooperativeCreated(
                cooperative_id=cooperative_id,
                level=level,
                area_codes=codes,
                coordinator_ids=coordinators or [],
                policy=policy or MatchingPolicy(),
            ),
            codes[0],
        )

    async def fire_timers(self) -> int:
        return await self.runtime.timers.fire_due()

    async def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            await self.runtime.stop()


StartMatching = Callable[..., Awaitable[Matching]]


@pytest.fixture
async def start_matching(
    settings_for: Callable[[str], Settings],
) -> AsyncIterator[StartMatching]:
    """`await start_matching()` runs the service; call it again for a restart on the same
    database and clock (stop the first one before)."""
    settings = settings_for("matching").model_copy(update={"retry_base_seconds": 0.05})
    clock = FrozenClock(START)
    running: list[Matching] = []

    async def start(**kwargs: Any) -> Matching:
        runtime = build(settings, clock, timer_poll_seconds=0.05, **kwargs)
        await runtime.start()
        matching = Matching(runtime, clock)
        running.append(matching)
        return matching

    yield start
    for matching in running:
        with contextlib.suppress(Exception):
            await matching.stop()


async def stream_events(url: str, prefix: str = "samen.evt.") -> list[tuple[str, Envelope]]:
    """Every event in SAMEN_EVENTS whose subject starts with `prefix`, in stream order."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(EVENTS_STREAM)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(EVENTS_STREAM, seq)
            if msg.subject and msg.subject.startswith(prefix):
                out.append((msg.subject, Envelope.model_validate_json(msg.data or b"{}")))
        return out
    finally:
        await nc.close()


async def published(matching: Matching, url: str, prefix: str, count: int) -> list[Envelope]:
    """Wait until at least `count` events under `prefix` are in the stream."""

    async def probe() -> list[Envelope]:
        found = [e for _, e in await stream_events(url, prefix)]
        return found if len(found) >= count else []

    return await eventually(probe, timeout=15, message=f"{count} events under {prefix}")


def slot(weekday: int, start: str, end: str) -> AvailabilitySlot:
    return AvailabilitySlot(weekday=weekday, start=start, end=end)
