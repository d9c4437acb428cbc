"""A correlation id follows the work: HTTP -> request/reply -> the events it causes."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.contracts.verbs import Verb
from shared.events import Envelope, EventData
from shared.logging import CorrelationIdMiddleware, correlation, current_correlation_id
from shared.service import ServiceRuntime
from shared.settings import Settings
from tests.support import plumbing_runtime

pytestmark = pytest.mark.integration

GIVEN_UUID = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"
GIVEN_ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


class Noted(EventData):
    TYPE = "test.noted"
    note_id: str


class Note(BaseModel):
    note_id: str


NOTE = Verb(
    "plumbing", "note", Note, dict[str, str | None], "Emit an event; answer the correlation id."
)


def test_http_requests_get_a_correlation_id_and_keep_a_given_one() -> None:
    app = FastAPI()

    @app.get("/cid")
    async def cid() -> dict[str, str | None]:
        return {"cid": current_correlation_id()}

    app.add_middleware(CorrelationIdMiddleware)
    client = TestClient(app)
    for kept in (GIVEN_UUID, GIVEN_ULID):
        given = client.get("/cid", headers={"X-Correlation-Id": kept})
        assert given.json() == {"cid": kept}
        assert given.headers["x-correlation-id"] == kept
    free_text = client.get("/cid", headers={"X-Correlation-Id": "abc-123"})
    assert free_text.json()["cid"] != "abc-123"
    assert free_text.json()["cid"] == free_text.headers["x-correlation-id"]
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

    runtime.answer({NOTE: note})
    await runtime.start()
    try:
        with correlation(GIVEN_UUID):
            reply = await runtime.rpc.call(NOTE, Note(note_id="n-1"))
    finally:
        await runtime.stop()
    assert reply == {"seen": GIVEN_UUID}
    assert emitted[0].correlation_id == GIVEN_UUID
