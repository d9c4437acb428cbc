"""Schemathesis walks the API as clients would: it follows the OpenAPI links between operations
(a request created, then read, cancelled or completed; a proposal listed, then answered; a
board listed, then a request's candidates and a manual match) so calls carry real ids from
earlier answers. A resident, a volunteer with real proposals and a coordinator each walk; every
step must answer without a server error and keep to the schema, in whatever order."""

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import RunningSystem
from tests.e2e.conftest import Api, caught_up
from tests.support import wait_until

pytestmark = pytest.mark.integration

CHECKS = "not_a_server_error,content_type_conformance,response_schema_conformance"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def walk(
    system: RunningSystem, headers: dict[str, str], report: Path, tags: tuple[str, ...]
) -> Counter[tuple[str, int]]:
    """One stateful run of schemathesis's own runner as the member `headers` sign in; the
    steps taken, by method, path and status, read from its HAR report, so the test can see
    that the chains reached past a 404. The walk keeps to the operations of `tags`, the ones
    of the walker's role, so its chains go deep rather than wide."""
    har = report.with_suffix(".har")
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{system.url}/openapi.json",
            "--phases=stateful",
            f"--checks={CHECKS}",
            "--max-examples=40",
            "--seed=1",
            "--workers=1",
            "--request-timeout=20",
            "--generation-database=none",
            "--no-color",
            # The event stream never ends, and erasing the walker's own account ends the walk.
            "--exclude-path=/api/v1/events",
            "--exclude-method=DELETE",
            *(f"--include-tag={tag}" for tag in tags),
            "--report=har",
            f"--report-har-path={har}",
            *(f"--header={name}: {value}" for name, value in headers.items()),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=report.parent,  # its cache folder lands beside the report, not in the checkout
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    steps: Counter[tuple[str, int]] = Counter()
    for entry in json.loads(har.read_text())["log"]["entries"]:
        path = urlsplit(entry["request"]["url"]).path
        steps[(f"{entry['request']['method']} {path}", entry["response"]["status"])] += 1
    return steps


def reached(steps: Counter[tuple[str, int]], template: str) -> bool:
    """Whether some step of `template` ("POST /api/v1/requests/{request_id}/cancel") with real
    ids in its path was answered with success."""
    pattern = re.compile(re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(template)) + "$")
    return any(pattern.match(step) and status < 300 for step, status in steps)


def test_chains_of_api_calls_never_fail_and_keep_to_the_schema(
    system: RunningSystem, tmp_path: Path
) -> None:
    api = Api(system)
    api.register("walking.volunteer@example.nl", "3561 AB", "7", volunteer=True)
    volunteer = api.login("walking.volunteer@example.nl")
    api.http.patch("/api/v1/me", json={"consents": {"matching": True}}, headers=volunteer)
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["groceries", "transport"], "flexible": True, "radius_km": 5},
        headers=volunteer,
    )
    assert profile.status_code == 200, profile.text
    caught_up(system, "matching")

    api.register("walking.resident@example.nl", "3561 AB", "9")
    resident = api.login("walking.resident@example.nl")
    for n in range(4):
        created = api.http.post(
            "/api/v1/requests",
            json={"category": "groceries", "description": f"Boodschappen {n}"},
            headers=resident,
        )
        assert created.status_code == 201, created.text

    def proposed() -> bool:
        listed = api.http.get("/api/v1/volunteers/me/proposals", headers=volunteer)
        return sum(p["state"] == "pending" for p in listed.json()) == 4

    wait_until(proposed, timeout=30, message="the volunteer got no proposals to walk from")

    api.admin_create(
        "walking.coordinator@example.nl", "coordinator", cooperative=api.cooperative_of("WK034403")
    )
    coordinator = api.login("walking.coordinator@example.nl")

    volunteer_steps = walk(system, volunteer, tmp_path / "volunteer", ("volunteers", "inbox"))
    assert any(
        reached(volunteer_steps, f"POST /api/v1/proposals/{{proposal_id}}/{answer}")
        for answer in ("accept", "decline")
    ), volunteer_steps
    coordinator_steps = walk(
        system, coordinator, tmp_path / "coordinator", ("coordinator", "requests")
    )
    assert any(
        reached(coordinator_steps, label)
        for label in (
            "GET /api/v1/requests/{request_id}",
            "GET /api/v1/coordinator/requests/{request_id}/candidates",
            "POST /api/v1/coordinator/requests/{request_id}/match",
        )
    ), coordinator_steps
    # Last: the resident's walk cancels and completes the requests the others saw.
    resident_steps = walk(system, resident, tmp_path / "resident", ("requests", "me", "inbox"))
    assert reached(resident_steps, "GET /api/v1/requests/{request_id}"), resident_steps
