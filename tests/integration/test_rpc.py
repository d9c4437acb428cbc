"""Request/reply helpers: typed errors cross the wire; a missing service is `Unavailable`."""

from collections.abc import AsyncIterator, Callable

import pytest
from pydantic import BaseModel

from shared.errors import Conflict, Invalid, NotFound, Unavailable
from shared.service import ServiceRuntime
from shared.settings import Settings
from tests.support import plumbing_runtime

pytestmark = pytest.mark.integration


class Greet(BaseModel):
    name: str
    times: int = 1


class Greeting(BaseModel):
    text: str


@pytest.fixture
async def runtime(settings_for: Callable[[str], Settings]) -> AsyncIterator[ServiceRuntime]:
    runtime = plumbing_runtime(settings_for("plumbing"))

    async def greet(request: Greet) -> Greeting:
        if request.name == "nobody":
            raise NotFound("no such person")
        if request.name == "twice":
            raise Conflict("already greeted")
        return Greeting(text=" ".join(["hello"] * request.times) + f" {request.name}")

    runtime.answer("greet", greet)
    await runtime.start()
    yield runtime
    await runtime.stop()


async def test_a_reply_comes_back_typed(runtime: ServiceRuntime) -> None:
    reply = await runtime.rpc.call("plumbing", "greet", Greet(name="Ans", times=2), result=Greeting)
    assert reply == Greeting(text="hello hello Ans")


async def test_domain_errors_arrive_as_the_same_typed_errors(runtime: ServiceRuntime) -> None:
    with pytest.raises(NotFound, match="no such person"):
        await runtime.rpc.call("plumbing", "greet", Greet(name="nobody"))
    with pytest.raises(Conflict):
        await runtime.rpc.call("plumbing", "greet", Greet(name="twice"))


async def test_a_bad_request_is_invalid_with_the_field_named(runtime: ServiceRuntime) -> None:
    with pytest.raises(Invalid) as caught:
        await runtime.rpc.call("plumbing", "greet", {"times": "many"})
    fields = {e["field"] for e in caught.value.details["errors"]}  # type: ignore[union-attr]
    assert fields == {"name", "times"}


async def test_a_service_that_does_not_answer_is_unavailable(runtime: ServiceRuntime) -> None:
    with pytest.raises(Unavailable):
        await runtime.rpc.call("nobody-home", "health", timeout=0.5)


async def test_every_service_answers_health(runtime: ServiceRuntime) -> None:
    health = await runtime.rpc.call("plumbing", "health")
    assert health["status"] == "ok"
    assert health["database"] == "ok"
