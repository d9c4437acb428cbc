"""`samen backup` of a running system, `samen restore` into an empty one (a new data folder and
a new nats-server): every member can log in, every request and inbox item is there."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from samen.stack import PostgresDatabases
from tests.conftest import REPO, ExternalNats, start_nats, start_system, stop_system
from tests.e2e.conftest import Api, caught_up
from tests.support import wait_until

pytestmark = pytest.mark.integration

SERVICES = ("registry", "matching", "notify", "gateway")


def samen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A `samen` command as an operator runs it, with the system's environment."""
    return subprocess.run(
        [sys.executable, "-m", "samen", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def listed(api: Api, path: str, auth: dict[str, str], key: str | None = None) -> list[Any]:
    answer = api.http.get(path, headers=auth)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return list(body[key] if key else body)


def test_a_backup_restored_into_an_empty_system_has_every_member_request_and_inbox_item(
    tmp_path: Path, postgres: PostgresDatabases | None
) -> None:
    if os.environ.get("SAMEN_TEST_NATS_URL"):
        pytest.skip("this test runs two nats-servers of its own")
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    nats = start_nats(first_dir / "jetstream")
    system = start_system(first_dir, nats.url, postgres, {})
    try:
        api = Api(system)
        volunteer = api.volunteer("vera.backup@example.nl", "70", name="Vera", category="groceries")
        api.register("rob.backup@example.nl", "3561 AB", "71", name="Rob")
        rob = api.login("rob.backup@example.nl")
        asked = [
            api.http.post(
                "/api/v1/requests",
                json={"category": "groceries", "description": f"Boodschappen, week {n}"},
                headers=rob,
            )
            for n in (1, 2)
        ]
        assert all(made.status_code == 201 for made in asked), [m.text for m in asked]
        wait_until(
            lambda: len(listed(api, "/api/v1/inbox", volunteer, "items")) >= 2,
            timeout=30,
            message="Vera's inbox has no proposals",
        )
        caught_up(system, *SERVICES)
        before = {
            "vera": api.http.get("/api/v1/me", headers=volunteer).json(),
            "rob": api.http.get("/api/v1/me", headers=rob).json(),
            "requests": {r["id"]: r["state"] for r in listed(api, "/api/v1/requests", rob)},
            "inbox": {i["id"] for i in listed(api, "/api/v1/inbox", volunteer, "items")},
        }
        dest = tmp_path / "samen-backup.tar.gz"
        made = samen(system.env, "backup", str(dest))
        assert made.returncode == 0, made.stdout + made.stderr
        assert "backed up 4 databases" in made.stdout
    finally:
        stop_system(system)
        if not isinstance(nats, ExternalNats):
            nats.stop()

    empty = start_nats(second_dir / "jetstream")
    env = {k: v for k, v in system.env.items() if not k.endswith("_DATABASE_URL")}
    env.update(NATS_URL=empty.url, SAMEN_DATA_DIR=str(second_dir / "data"))
    databases = {
        f"SAMEN_{service.upper()}_DATABASE_URL": postgres.create(f"restored_{service}")
        for service in SERVICES
        if postgres is not None
    }
    env.update(databases)
    try:
        restored = samen(env, "restore", str(dest))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        again = samen(env, "restore", str(dest))  # it holds data now: refused, nothing touched
        assert again.returncode == 1 and "refused" in again.stdout, again.stdout + again.stderr

        system = start_system(second_dir, empty.url, postgres, databases)
        try:
            api = Api(system)
            vera = api.login("vera.backup@example.nl")
            rob = api.login("rob.backup@example.nl")
            assert api.http.get("/api/v1/me", headers=vera).json() == before["vera"]
            assert api.http.get("/api/v1/me", headers=rob).json() == before["rob"]
            requests = {r["id"]: r["state"] for r in listed(api, "/api/v1/requests", rob)}
            assert requests == before["requests"]
            inbox = {i["id"] for i in listed(api, "/api/v1/inbox", vera, "items")}
            assert inbox == before["inbox"]
            # The restored services caught up on the re-published events without doing again
            # what their databases show done: no second proposal for the same request.
            caught_up(system, *SERVICES)
            assert {i["id"] for i in listed(api, "/api/v1/inbox", vera, "items")} == inbox
            assert {r["id"]: r["state"] for r in listed(api, "/api/v1/requests", rob)} == requests
        finally:
            stop_system(system)
    finally:
        if not isinstance(empty, ExternalNats):
            empty.stop()
    manifest = json.loads(
        subprocess.run(
            ["tar", "-xzOf", str(dest), "samen-backup/manifest.json"],
            capture_output=True,
            check=True,
        ).stdout
    )
    assert set(manifest["databases"]) == set(SERVICES)
    kind = ".dump" if postgres is not None else ".db"  # pg_dump's custom format, or SQLite's
    assert all(entry["file"].endswith(kind) for entry in manifest["databases"].values())
    assert manifest["streams"]["SAMEN_EVENTS"] > 0
    assert all(entry["alembic_revision"] for entry in manifest["databases"].values())
