"""Request/reply helpers: typed errors cross the wire; a missing service is `Unavailable`."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from pydantic import BaseModel

from shared.contracts.verbs import Verb, health
from shared.errors import Conflict, Invalid, NotFound, Unavailable
from shared.rpc import DEADLINE_GRACE_SECONDS, DEADLINE_HEADER, RPC_CONCURRENCY
from shared.service import ServiceRuntime
from shared.settings import Settings
from tests.support import error_fields, eventually, plumbing_runtime

pytestmark = pytest.mark.integration


class Greet(BaseModel):
    name: str
    times: int = 1


class Greeting(BaseModel):
    text: str


class Gate(BaseModel):
    name: str


GREET = Verb("plumbing", "greet", Greet, Greeting, "Greet someone, `times` times.")
WAIT = Verb("plumbing", "wait", Gate, Greeting, "Wait at the gate until it opens.")


@dataclass
class Gated:
    """A verb whose handler notes the request and waits until the gate opens."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    handled: list[str] = field(default_factory=list)

    async def wait_at_gate(self, request: Gate) -> Greeting:
        self.handled.append(request.name)
        await self.gate.wait()
        return Greeting(text=f"through {request.name}")


@pytest.fixture
def gated() -> Gated:
    return Gated()


@pytest.fixture
async def runtime(
    settings_for: Callable[[str], Settings], gated: Gated
) -> AsyncIterator[ServiceRuntime]:
    runtime = plumbing_runtime(settings_for("plumbing"))

    async def greet(request: Greet) -> Greeting:
        if request.name == "nobody":
            raise NotFound("no such person")
        if request.name == "twice":
            raise Conflict("already greeted")
        return Greeting(text=" ".join(["hello"] * request.times) + f" {request.name}")

    runtime.answer({GREET: greet, WAIT: gated.wait_at_gate})
    await runtime.start()
    yield runtime
    await runtime.stop()


async def test_a_reply_comes_back_typed(runtime: ServiceRuntime) -> None:
    reply = await runtime.rpc.call(GREET, Greet(name="Ans", times=2))
    assert reply == Greeting(text="hello hello Ans")


async def test_domain_errors_arrive_as_the_same_typed_errors(runtime: ServiceRuntime) -> None:
    with pytest.raises(NotFound, match="no such person"):
        await runtime.rpc.call(GREET, Greet(name="nobody"))
    with pytest.raises(Conflict):
        await runtime.rpc.call(GREET, Greet(name="twice"))


async def test_a_bad_request_is_invalid_with_the_field_named(runtime: ServiceRuntime) -> None:
    with pytest.raises(Invalid) as caught:
        await runtime.rpc.call_unchecked(GREET, {"times": "many"})
    fields = {e["field"] for e in error_fields(caught.value)}
    assert fields == {"name", "times"}


async def test_a_service_that_does_not_answer_is_unavailable(runtime: ServiceRuntime) -> None:
    with pytest.raises(Unavailable):
        await runtime.rpc.call(health("nobody-home"), timeout=0.5)


async def test_a_request_whose_caller_gave_up_while_it_queued_is_not_handled(
    runtime: ServiceRuntime, gated: Gated
) -> None:
    gate, handled = gated.gate, gated.handled
    busy = [
        asyncio.create_task(runtime.rpc.call(WAIT, Gate(name=f"busy-{n}")))
        for n in range(RPC_CONCURRENCY)  # every worker of the verb waits at the gate
    ]

    async def all_busy() -> bool:
        return len(handled) == RPC_CONCURRENCY

    await eventually(all_busy, message="every worker busy")
    with pytest.raises(Unavailable):
        await runtime.rpc.call(WAIT, Gate(name="late"), timeout=0.2)
    await asyncio.sleep(DEADLINE_GRACE_SECONDS)  # past its deadline, grace included
    gate.set()
    replies = await asyncio.gather(*busy)
    assert {r.text for r in replies} == {f"through busy-{n}" for n in range(RPC_CONCURRENCY)}
    # The queued request reached a worker only now, and was dropped there.
    on_time = await runtime.rpc.call(WAIT, Gate(name="on time"))
    assert on_time.text == "through on time"
    assert "late" not in handled


async def test_an_expired_deadline_is_answered_unavailable_without_handling(
    runtime: ServiceRuntime, gated: Gated
) -> None:
    reply = await runtime.broker.request(
        Gate(name="stale").model_dump_json().encode(),
        WAIT.subject,
        headers={DEADLINE_HEADER: f"{time.time() - 5:.3f}"},
        timeout=5,
    )
    assert json.loads(reply.body)["error"]["code"] == "unavailable"
    assert gated.handled == []


async def test_every_service_answers_health(runtime: ServiceRuntime) -> None:
    answer = await runtime.rpc.call(health("plumbing"))
    assert answer.status == "ok"
    assert answer.database == "ok"
