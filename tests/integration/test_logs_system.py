"""Logs an operator can follow: under `samen up` every service writes JSON lines, one per HTTP
request, request/reply answered, event handled and message sent, each with the correlation id
of the work, and `samen logs --correlation-id` shows one request's way through all four
services, down to the welcome message it caused."""

import json

import httpx
import pytest
from typer.testing import CliRunner

from samen.cli import app
from samen.logs import SERVICE_LOGS, merged
from shared.ids import new_id
from tests.conftest import RunningSystem
from tests.support import wait_until

pytestmark = pytest.mark.integration

API = "/api/v1"
EMAIL = "logs.resident@example.nl"
NAME = "Lotte Logboek"


def test_one_correlation_id_is_followed_through_every_service(system: RunningSystem) -> None:
    # Registering: the gateway (HTTP) asks the registry (request/reply), whose member.registered
    # event matching and notify handle, all under the id the client sent.
    cid = new_id()
    registered = httpx.post(
        f"{system.url}{API}/auth/register",
        json={
            "name": NAME,
            "email": EMAIL,
            "password": "correct horse battery",
            "postcode": "3561 AB",
            "house_number": "12",
        },
        headers={"X-Correlation-Id": cid},
        timeout=10,
    )
    assert registered.status_code == 202, registered.text
    assert registered.headers["x-correlation-id"] == cid
    folder = system.data_dir / "logs"

    def every_service_logged_it() -> bool:
        return {line.service for line in merged(folder, correlation_id=cid)} == set(SERVICE_LOGS)

    def welcome_sent() -> bool:
        return any(
            line.fields["event"] == "message sent" and line.fields["template"] == "welcome"
            for line in merged(folder, correlation_id=cid, services=["notify"])
        )

    wait_until(every_service_logged_it, message="not every service logged the correlation id")
    wait_until(welcome_sent, message="the welcome was not logged as sent under the id")
    lines = merged(folder, correlation_id=cid)
    events = {(line.service, line.fields["event"]) for line in lines}
    assert ("gateway", "http request") in events
    assert ("registry", "rpc answered") in events
    assert ("matching", "event handled") in events
    assert ("notify", "event handled") in events
    http = next(line.fields for line in lines if line.fields["event"] == "http request")
    assert (http["method"], http["route"], http["status"]) == (
        "POST",
        "/api/v1/auth/register",
        202,
    )
    answered = [line.fields for line in lines if line.fields["event"] == "rpc answered"]
    assert all(f["outcome"] == "ok" and f["ms"] >= 0 for f in answered)

    result = CliRunner().invoke(
        app, ["logs", "--correlation-id", cid, "--data-dir", str(system.data_dir)]
    )
    assert result.exit_code == 0, result.output
    shown = result.output.splitlines()
    assert len(shown) == len(lines)
    for service in SERVICE_LOGS:
        assert any(f" {service} " in line for line in shown), service
    as_json = CliRunner().invoke(
        app, ["logs", "--correlation-id", cid, "--json", "--data-dir", str(system.data_dir)]
    )
    assert [json.loads(line)["correlation_id"] for line in as_json.output.splitlines()] == [
        cid
    ] * len(lines)

    # Every log file is JSON lines (FastStream's and uvicorn's too), with no personal data and
    # no id from a path.
    for service in SERVICE_LOGS:
        text = (folder / f"{service}.log").read_text()
        assert "\x1b[" not in text, f"{service} logs colour codes"
        for line in text.splitlines():
            if line.strip():
                assert line.startswith("{"), f"{service}: {line[:120]}"
        assert EMAIL not in text and NAME not in text
        assert "is being executed" not in text  # FastStream's chatter about its own tasks
    # A path with an id is logged by its route's template.
    looked_up = httpx.get(f"{system.url}{API}/requests/{new_id()}", timeout=10)
    assert looked_up.status_code in (401, 404)

    def route_logged() -> bool:
        return any(
            line.fields.get("route") == "/api/v1/requests/{request_id}"
            for line in merged(folder, services=["gateway"])
        )

    wait_until(route_logged, message="the route template was not logged")


def test_samen_logs_refuses_an_unknown_service_in_one_line(system: RunningSystem) -> None:
    result = CliRunner().invoke(
        app, ["logs", "--service", "billing", "--data-dir", str(system.data_dir)]
    )
    assert result.exit_code == 2
    assert "no such service: billing" in result.output
    assert "Traceback" not in result.output
