"""`samen members import` beside a running `samen up`, exactly as the docs say to run it: the
command finds the system in the data folder (its own NATS on a port of its choosing, each
service with a password of its own) and the imported volunteer reaches matching."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from samen.stack import PostgresDatabases, RunningStack, start_stack
from shared import running_system
from tests.support import wait_until

pytestmark = pytest.mark.integration

PASSWORD = "a good password"
VOLUNTEERS = """\
name,email,postcode,house_number,roles,consent_matching,categories,flexible,radius_km
Imre Import,imre.import@example.nl,3561 AB,40,resident;volunteer,ja,groceries,ja,3
"""


@pytest.fixture
def own_nats_system(tmp_path: Path, postgres: PostgresDatabases | None) -> Iterator[RunningStack]:
    """`samen up` with the nats-server it starts itself (as `make run`), not a test's."""
    env = {"SAMEN_ENV": "test"}
    if postgres is not None:
        for service in ("registry", "matching", "notify", "gateway"):
            env[f"SAMEN_{service.upper()}_DATABASE_URL"] = postgres.create(service)
    system = start_stack(tmp_path / "data", nats_url=None, env=env, log_path=tmp_path / "up.log")
    try:
        yield system
    finally:
        system.stop()


def samen_command(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """A `samen` command as a person types it in another terminal: only the data folder is
    shared with `samen up` (the default `var/` when both run from the checkout)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NATS_URL", "SAMEN_NATS_URL", "SAMEN_DATABASE_URL")
        and not (k.startswith("SAMEN_") and k.endswith("_DATABASE_URL"))
    }
    env.update(SAMEN_DATA_DIR=str(data_dir), SAMEN_ENV="test")
    script = Path(sys.executable).with_name("samen")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "samen"]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def resident_asks_for_groceries(system: RunningStack) -> str:
    with httpx.Client(base_url=system.url, timeout=15) as client:
        email = "rita.resident@example.nl"
        registered = client.post(
            "/api/v1/auth/register",
            json={
                "name": "Rita Resident",
                "email": email,
                "password": PASSWORD,
                "postcode": "3561 AB",
                "house_number": "41",
            },
        )
        assert registered.status_code == 202, registered.text
        token = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        consent = client.patch("/api/v1/me", headers=bearer, json={"consents": {"matching": True}})
        assert consent.status_code == 200, consent.text

        def asked() -> httpx.Response | None:
            response = client.post(
                "/api/v1/requests",
                headers=bearer,
                json={
                    "category": "groceries",
                    "description": "Boodschappen op dinsdag",
                },
            )
            if response.status_code != 201:
                return None  # matching has not heard of her yet
            request = client.get(f"/api/v1/requests/{response.json()['id']}", headers=bearer)
            if request.json()["escalation_reason"] == "no_matching_consent":
                # Her consent (given after registering) is still on its way: ask again.
                client.post(f"/api/v1/requests/{response.json()['id']}/cancel", headers=bearer)
                return None
            return response

        created = wait_until(asked, timeout=30, message="the request was never taken")
        assert created is not None
        return str(created.json()["state"])


def test_members_import_reaches_the_running_system_and_matching(
    own_nats_system: RunningStack, tmp_path: Path
) -> None:
    data_dir = own_nats_system.data_dir
    running = running_system.find(data_dir)
    assert running is not None and running.nats_url == own_nats_system.nats_url
    assert (data_dir / running_system.FILE_NAME).stat().st_mode & 0o077 == 0  # it holds passwords

    csv_file = tmp_path / "vrijwilligers.csv"
    csv_file.write_text(VOLUNTEERS)
    imported = samen_command("members", "import", str(csv_file), data_dir=data_dir)

    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "Using the system `samen up` runs from" in imported.stderr
    assert running.nats_url in imported.stderr
    assert "wait in the outbox" not in imported.stdout  # published, to the right NATS
    # The imported volunteer is the only one in Overvecht: a neighbour's request reaches them.
    assert resident_asks_for_groceries(own_nats_system) == "proposed"


def test_a_command_without_a_running_system_says_which_nats_it_uses(tmp_path: Path) -> None:
    listed = samen_command("areas", "list", data_dir=tmp_path / "empty")
    assert listed.returncode == 0, listed.stderr
    assert "no `samen up` runs from" in listed.stderr


def test_the_file_of_a_stopped_system_is_not_believed(tmp_path: Path) -> None:
    stopped = running_system.RunningSystem(
        data_dir=tmp_path, pid=2**22 + 1, web_url="http://127.0.0.1:1", nats_url="nats://x:1"
    )
    running_system.write(stopped)
    assert running_system.read(tmp_path) == stopped
    assert running_system.find(tmp_path) is None
