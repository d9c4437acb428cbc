"""The notice board against the whole running system.

`samen up` runs every service with its own NATS user on a nats-server with the users of
deploy/nats; residents of Overvecht and Oost ask for help through the gateway's REST API; the
notice board, running as the Overvecht plug-in user, lists Overvecht's open requests only and
shows nothing personal: no names, e-mail, postcodes or the free-text description.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.noticeboard.app import NoticeBoard, create_app
from examples.noticeboard.board import Board
from samen.stack import PostgresDatabases
from shared.plugin import PluginSettings
from tests.conftest import RunningSystem, start_system, stop_system
from tests.integration.test_nats_permissions import (
    NOTICEBOARD,
    PLUGIN_USER,
    SecuredNats,
    assert_no_violations,
    provisioned,
    secured_nats_server,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

API = "/api/v1"


@pytest.fixture
def secured_system(
    tmp_path: Path, postgres: PostgresDatabases | None
) -> Iterator[tuple[SecuredNats, RunningSystem]]:
    with secured_nats_server(tmp_path) as nats_:
        asyncio.run(provisioned(nats_))  # the admin's step, before any service starts
        system = start_system(tmp_path, nats_.url, postgres, dict(nats_.passwords))
        try:
            yield nats_, system
        finally:
            stop_system(system)


def resident(system: RunningSystem, name: str, email: str, postcode: str) -> dict[str, str]:
    """Register a resident and log in: bearer headers for the API."""
    password = "correct horse battery"
    registered = httpx.post(
        f"{system.url}{API}/auth/register",
        json={
            "name": name,
            "email": email,
            "password": password,
            "postcode": postcode,
            "house_number": "12",
        },
        timeout=10,
    )
    assert registered.status_code == 202, registered.text
    login = httpx.post(
        f"{system.url}{API}/auth/login", json={"email": email, "password": password}, timeout=10
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def ask(system: RunningSystem, headers: dict[str, str], **body: Any) -> str:
    response = httpx.post(f"{system.url}{API}/requests", json=body, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_the_notice_board_shows_its_areas_open_requests_from_the_running_system(
    secured_system: tuple[SecuredNats, RunningSystem], tmp_path: Path
) -> None:
    nats_, system = secured_system
    await provisioned(nats_)  # as the operator: the plug-in's durable consumer
    noticeboard = NoticeBoard(
        PluginSettings(
            env="test",
            nats_url=nats_.url,
            nats_user=PLUGIN_USER,
            nats_password=nats_.password(PLUGIN_USER),
            data_dir=tmp_path / "noticeboard",
            log_level="WARNING",
            plugin_cooperative=NOTICEBOARD.cooperative,
            plugin_name=NOTICEBOARD.name,
            plugin_area="WK034403",
        ),
        board=Board(tmp_path / "noticeboard" / "board.db"),
    )
    app = create_app(noticeboard)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://board") as board,
    ):
        anna = await asyncio.to_thread(
            resident, system, "Anna Overvecht", "anna@example.nl", "3561 AB"
        )
        bert = await asyncio.to_thread(resident, system, "Bert Oost", "bert@example.nl", "3583 AB")
        groceries = await asyncio.to_thread(
            ask, system, anna, category="groceries", description="Boodschappen bij de Jumbo"
        )
        garden = await asyncio.to_thread(
            ask, system, anna, category="garden", description="Heg snoeien achter"
        )
        meals = await asyncio.to_thread(
            ask, system, bert, category="meals", description="Warme maaltijd op dinsdag"
        )
        cancelled = await asyncio.to_thread(
            httpx.post, f"{system.url}{API}/requests/{garden}/cancel", headers=anna, timeout=10
        )
        assert cancelled.status_code == 200, cancelled.text

        async def shows_only_groceries() -> bool:
            return [r.request_id for r in noticeboard.board.open_requests()] == [groceries]

        await eventually(
            shows_only_groceries, timeout=30, message="the board did not show Overvecht's request"
        )
        page = (await board.get("/")).text
        sheet_pdf = (await board.get("/sheet.pdf")).content

    assert groceries[-5:].upper() in page and "Boodschappen" in page
    for document in (page, sheet_pdf.decode("latin-1")):
        assert meals[-5:].upper() not in document and "Maaltijden" not in document
        assert garden[-5:].upper() not in document
        for personal in ("Anna", "Bert", "example.nl", "3561", "Jumbo", "Heg snoeien"):
            assert personal not in document, personal
    assert_no_violations(nats_.violations())
