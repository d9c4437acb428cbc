"""Bad input is cheap: oversized bodies and heads are refused before anything parses them,
error answers stay short, every list and string of the API is bounded, a lost database is a
503 to retry, and a retried create (Idempotency-Key) never makes a second request."""

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def million_keys(count: int = 1_000_000) -> bytes:
    """A 10 MB JSON document with a million keys: every one of them an error if parsed."""
    return json.dumps({f"k{n}": n for n in range(count)}).encode()


async def chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    assert len(response.content) < 2000
    problem = response.json()
    assert problem["status"] == status
    return dict(problem)


# ------------------------------------------------------------------ bodies


async def test_a_large_json_body_is_refused_before_it_is_read(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        response = await client.post(
            "/api/v1/auth/login",
            content=million_keys(),
            headers={"content-type": "application/json"},
        )
    assert assert_problem(response, 413)["code"] == "too_large"


async def test_a_large_body_without_content_length_is_cut_off_as_it_grows(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        response = await client.post(
            "/api/v1/auth/login",
            content=chunks(million_keys()),  # chunked: no Content-Length
            headers={"content-type": "application/json"},
        )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert assert_problem(response, 413)["code"] == "too_large"


async def test_a_large_form_is_refused(running_gateway: RunningGateway) -> None:
    form = "&".join(f"f{n}=x" for n in range(200_000)).encode()
    async with running_gateway.client() as client:
        response = await client.post(
            "/login",
            content=form,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 413
        streamed = await client.post(
            "/login",
            content=chunks(form),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert streamed.status_code == 413


async def test_an_invalid_body_gets_a_short_answer_that_does_not_echo_it(
    running_gateway: RunningGateway,
) -> None:
    secret = "do-not-echo-" + "x" * 40
    body = {f"k{n}": secret for n in range(800)}  # 800 unknown fields, within the body limit
    async with running_gateway.client() as client:
        response = await client.post("/api/v1/auth/login", json=body)
    problem = assert_problem(response, 422)
    errors = problem["errors"]
    assert isinstance(errors, list) and 0 < len(errors) <= 20
    assert secret not in response.text


# ------------------------------------------------------------------ heads


async def test_a_100_kb_header_is_431(running_gateway: RunningGateway) -> None:
    async with running_gateway.client() as client:
        response = await client.get("/healthz", headers={"x-filler": "a" * 100_000})
        assert_problem(response, 431)
        medium = await client.get("/healthz", headers={"x-filler": "a" * 20_000})
        assert_problem(medium, 431)
        assert (await client.get("/healthz")).status_code == 200


async def test_healthz_answers_while_a_hostile_body_is_refused(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as hostile, running_gateway.client() as health:
        attack = asyncio.create_task(
            hostile.post(
                "/api/v1/auth/login",
                content=chunks(million_keys()),
                headers={"content-type": "application/json"},
            )
        )
        answers = []
        while not attack.done() or not answers:
            answers.append((await health.get("/healthz")).status_code)
        assert (await attack).status_code == 413
    assert set(answers) == {200}
