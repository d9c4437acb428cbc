"""A correlation id follows the work: HTTP -> request/reply -> the events it causes."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.events import Envelope, EventData
from shared.logging import CorrelationIdMiddleware, correlation, current_correlation_id
from shared.service import ServiceRuntime
from shared.settings import Settings
from tests.support import plumbing_runtime

pytestmark = pytest.mark.integration


class Noted(EventData):
    TYPE = "test.noted"
    note_id: str


class Note(BaseModel):
    note_id: str


def test_http_requests_get_a_correlation_id_and_keep_a_given_one() -> None:
    app = FastAPI()

    @app.get("/cid")
    async def cid() -> dict[str, str | None]:
        return {"cid": current_correlation_id()}

    app.add_middleware(CorrelationIdMiddleware)
    client = TestClient(app)
    given = client.get("/cid", headers={"X-Correlation-Id": "abc-123"})
    assert given.json() == {"cid": "abc-123"}
    assert given.headers["x-correlation-id"] == "abc-123"
    fresh = client.get("/cid")
    assert fresh.json()["cid"] and fresh.json()["cid"] == fresh.headers["x-correlation-id"]


async def test_the_correlation_id_crosses_rpc_into_the_events_a_handler_emits(
    settings_for: Callable[[str], Settings],
) -> None:
    runtime: ServiceRuntime = plumbing_runtime(settings_for("plumbing"))
    emitted: list[Envelope] = []

    async def note(request: Note) -> dict[str, str | None]:
        async with runtime.uow() as uow:
            emitted.append(uow.emit(Noted(note_id=request.note_id)))
            await uow.commit()
        return {"seen": current_correlation_id()}

    runtime.answer("note", note)
    await runtime.start()
    try:
        with correlation("from-the-browser"):
            reply = await runtime.rpc.call("plumbing", "note", Note(note_id="n-1"))
    finally:
        await runtime.stop()
    assert reply == {"seen": "from-the-browser"}
    assert emitted[0].correlation_id == "from-the-browser"
