"""Bad input is cheap: oversized bodies and heads are refused before anything parses them,
error answers stay short, every list and string of the API is bounded, a lost database is a
503 to retry, and a retried create (Idempotency-Key) never makes a second request."""

import asyncio
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from faststream.nats import NatsBroker
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url

from services.gateway.schemas import VolunteerBody
from shared.contracts.matching import RequestCreate
from shared.contracts.registry import VolunteerProfileSet
from shared.db import create_engine, libpq_url
from shared.errors import Unavailable
from shared.rpc import Empty, RpcClient, Verb, register_rpc
from tests.conftest import RunningSystem
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.support import POSTGRES_URL_ENV, wait_until

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


async def test_a_head_that_keeps_growing_is_431_before_it_ends(
    running_gateway: RunningGateway,
) -> None:
    """A head sent without its end (no blank line): the server refuses it once it is too
    large instead of keeping all of it in memory while waiting for the rest."""
    port = httpx.URL(running_gateway.url).port
    assert port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: samen\r\nX-Filler: " + b"a" * 300_000)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 431")


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
        answers: list[int] = []
        while not attack.done() or not answers:
            answers.append((await health.get("/healthz")).status_code)
        assert (await attack).status_code == 413
    assert set(answers) == {200}


# ------------------------------------------------------------------ a lost database


async def test_a_lost_database_connection_is_503_with_retry_after(
    running_gateway: RunningGateway, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip(f"the gateway's connections are cut on PostgreSQL ({POSTGRES_URL_ENV})")
    database = make_url(running_gateway.gateway.database_url).database
    admin = os.environ[POSTGRES_URL_ENV]
    async with running_gateway.client() as client:
        await running_gateway.register(client, "cut@example.nl")
        headers = await running_gateway.bearer(client, "cut@example.nl")
        with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
            # Cut every connection of the gateway's database, and keep new ones out.
            conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )
            try:
                register = await client.post(
                    "/api/v1/auth/register",
                    json={
                        "name": "Someone Else",
                        "email": "else@example.nl",
                        "password": PASSWORD,
                        "postcode": "3561 AB",
                        "house_number": "2",
                    },
                )
                login = await client.post(
                    "/api/v1/auth/login", json={"email": "cut@example.nl", "password": PASSWORD}
                )
            finally:
                conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        for answer in (register, login):
            assert assert_problem(answer, 503)["code"] == "unavailable"
            assert int(answer.headers["retry-after"]) > 0
        # Once the database is back, so is the gateway.
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200


async def test_an_rpc_whose_database_is_away_answers_unavailable(
    nats_url: str, tmp_path: Path
) -> None:
    """A service's handler whose database cannot be reached answers `unavailable` (the
    gateway's 503 with Retry-After), not an internal error."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")

    async def count(_: Empty) -> int:
        async with engine.connect() as connection:
            return int(await connection.scalar(text("SELECT 1")) or 0)

    probe = Verb("probe", "count", Empty, int, "Count to one in a database that is not there.")
    broker = NatsBroker(nats_url)
    register_rpc(broker, probe, count)
    await broker.start()
    try:
        with pytest.raises(Unavailable):
            await RpcClient(broker, timeout=5).call(probe)
    finally:
        await broker.stop()
        await engine.dispose()


# ------------------------------------------------------------------ retried creates


def hold_matching_writes(system: RunningSystem) -> Callable[[], None]:
    """Take matching's database write lock, so its next commit waits; returns the release."""
    url = system.env.get("SAMEN_MATCHING_DATABASE_URL")
    if url and url.startswith("postgresql"):
        conn = psycopg.connect(libpq_url(url))
        conn.execute("LOCK TABLE requests IN EXCLUSIVE MODE")  # readers go on, writers wait
        return conn.close  # closing rolls the transaction back
    lite = sqlite3.connect(system.data_dir / "matching.db", isolation_level=None, timeout=30)
    lite.execute("BEGIN IMMEDIATE")

    def release() -> None:
        lite.execute("ROLLBACK")
        lite.close()

    return release


def test_a_create_retried_with_its_idempotency_key_makes_one_request(
    system: RunningSystem,
) -> None:
    """The first POST finds matching stalled (its database busy): the gateway gives up and
    answers 503, but matching goes on and makes the request. The client's retry with the same
    Idempotency-Key gets that request back instead of a second one."""
    with httpx.Client(base_url=system.url, timeout=30) as client:
        email = "twice@example.nl"
        response = client.post(
            "/api/v1/auth/register",
            json={
                "name": "Twice Asked",
                "email": email,
                "password": PASSWORD,
                "postcode": "3561 AB",
                "house_number": "7",
            },
        )
        assert response.status_code == 202, response.text
        token = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        ask = {"category": "groceries", "description": "Boodschappen, graag"}
        key = {"Idempotency-Key": "3f0c9a52-1d2e-4b7f-9c41-7e2f3a5b6c7d"}

        def mine() -> list[dict[str, object]]:
            listed = client.get("/api/v1/requests", headers=headers)
            assert listed.status_code == 200, listed.text
            return list(listed.json())

        # Matching knows the new member once the registry's event reached it.
        wait_until(lambda: client.get("/readyz").status_code == 200, timeout=30)
        release = hold_matching_writes(system)
        try:
            first = client.post("/api/v1/requests", json=ask, headers={**headers, **key})
        finally:
            release()
        assert first.status_code == 503, first.text
        assert "retry-after" in first.headers
        wait_until(lambda: len(mine()) == 1, timeout=30, message="matching made no request")

        again = client.post("/api/v1/requests", json=ask, headers={**headers, **key})
        assert again.status_code == 201, again.text
        assert again.json()["id"] == mine()[0]["id"]
        assert len(mine()) == 1
        # Another key is another request; the same key for other words is refused.
        other = client.post(
            "/api/v1/requests", json=ask, headers={**headers, "Idempotency-Key": "second"}
        )
        assert other.status_code == 201
        assert len(mine()) == 2
        reused = client.post(
            "/api/v1/requests",
            json={**ask, "description": "Iets anders"},
            headers={**headers, **key},
        )
        assert reused.status_code == 409
        bad = client.post(
            "/api/v1/requests", json=ask, headers={**headers, "Idempotency-Key": "a b"}
        )
        assert bad.status_code == 422


# ------------------------------------------------------------------ bounded lists


async def test_a_profile_with_thousands_of_languages_is_refused_not_a_500(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "many@example.nl")
        headers = await running_gateway.bearer(client, "many@example.nl")
        for count in (200_000, 5_000):  # past the body limit; within it, past the list's
            response = await client.put(
                "/api/v1/volunteers/me",
                json={"categories": ["groceries"], "languages": ["nl"] * count},
                headers=headers,
            )
            assert_problem(response, 413 if count == 200_000 else 422)


def test_a_profile_with_200000_languages_is_invalid_and_repeated_codes_collapse() -> None:
    for model in (VolunteerBody, VolunteerProfileSet):
        fields = {"member_id": "m-1"} if model is VolunteerProfileSet else {}
        with pytest.raises(ValidationError):
            model.model_validate(
                {**fields, "categories": ["groceries"], "languages": ["nl"] * 200_000}
            )
        profile = model.model_validate(
            {
                **fields,
                "categories": ["groceries", "groceries", "company"],
                "languages": ["nl", "en", "nl"],
            }
        )
        assert profile.languages == ["nl", "en"]
        assert profile.categories == ["groceries", "company"]
    ask = RequestCreate.model_validate(
        {
            "requester_id": "m-1",
            "category": "groceries",
            "description": "Boodschappen",
            "flexible": True,
            "languages": ["nl", "nl"],
        }
    )
    assert ask.languages == ["nl"]
