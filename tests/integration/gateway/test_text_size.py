"""The "larger text" switch: a cookie the server reads, so every page carries the class itself
(no script, survives reloads); it goes back only to a page of this site."""

import pytest

from tests.integration.gateway.conftest import RunningGateway
from tests.integration.gateway.test_security import form_token

pytestmark = pytest.mark.integration


async def test_larger_text_is_kept_in_a_cookie_and_drawn_by_the_server(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        page = await client.get("/register?done=signed_out")
        assert '<html lang="nl" dir="ltr">' in page.text
        assert 'name="next" value="/register"' in page.text  # not the notice again
        switched = await client.post(
            "/display/text-size",
            data={"csrf_token": form_token(page.text), "size": "large", "next": "/register"},
        )
        assert switched.status_code == 303 and switched.headers["location"] == "/register"
        again = await client.get("/login")
        assert '<html lang="nl" dir="ltr" class="large-text">' in again.text
        assert 'aria-pressed="true"' in again.text
        back = await client.post(
            "/display/text-size",
            data={"csrf_token": form_token(again.text), "size": "normal", "next": "/login"},
        )
        assert back.status_code == 303
        assert 'class="large-text"' not in (await client.get("/login")).text


async def test_the_switch_needs_the_form_token_and_never_leads_off_the_site(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        refused = await client.post("/display/text-size", data={"size": "large", "next": "/"})
        assert refused.status_code == 403
        page = await client.get("/")
        for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            answer = await client.post(
                "/display/text-size",
                data={"csrf_token": form_token(page.text), "size": "large", "next": elsewhere},
            )
            assert answer.status_code == 303 and answer.headers["location"] == "/", elsewhere
