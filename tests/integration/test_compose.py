"""docker-compose.yml, run without Docker: every service's command and environment from the
compose file start the services as local processes (hosts mapped to 127.0.0.1)."""

import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from samen.nats_server import NatsServer, free_port
from samen.stack import PostgresDatabases
from tests.conftest import REPO
from tests.support import TEST_SECRET_KEY, metric_sample, wait_until

pytestmark = pytest.mark.integration

SERVICES = ("registry", "matching", "notify", "gateway")
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}")
# What an operator sets before `docker compose up` (the file has no default for them).
OPERATOR_ENV = {"SAMEN_SECRET_KEY": TEST_SECRET_KEY, "POSTGRES_PASSWORD": secrets.token_hex(24)}


def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


class MissingVariable(Exception):
    pass


def interpolate(value: str, environ: Mapping[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` (unset or empty: an
    error, as `docker compose` gives)."""

    def value_of(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if environ.get(name):
            return environ[name]
        if operator == ":?":
            raise MissingVariable(f"required variable {name} is missing a value: {argument}")
        return argument or ""

    return _VARIABLE.sub(value_of, value)


def local_command(command: list[str]) -> list[str]:
    """The container's command for this machine: the same program from this virtualenv."""
    if command[0] == "python":
        return [sys.executable, *command[1:]]
    if command[0] == "samen":
        return [sys.executable, "-m", "samen", *command[1:]]
    raise AssertionError(f"unexpected command {command}")


def test_the_compose_file_describes_every_part() -> None:
    services = compose()["services"]
    assert set(services) >= {"nats", "postgres", "mailpit", "provision", *SERVICES}
    assert "-js" in services["nats"]["command"]
    for name in SERVICES:
        service = services[name]
        assert service["healthcheck"]["test"], name
        assert service["environment"]["SAMEN_DATABASE_URL"].endswith(f"/{name}")
        assert service["environment"]["NATS_URL"] == "nats://nats:4222"
    init = (REPO / "deploy/postgres/init.sql").read_text()
    for name in SERVICES:
        assert f"CREATE DATABASE {name};" in init


@pytest.fixture
def local_compose(
    tmp_path: Path, postgres: PostgresDatabases | None
) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
    services = compose()["services"]
    nats = NatsServer(tmp_path / "jetstream").start()
    port = free_port()
    envs: dict[str, dict[str, str]] = {}
    for name in ("provision", *SERVICES):
        variables = {**os.environ, **OPERATOR_ENV}
        env = {k: interpolate(str(v), variables) for k, v in services[name]["environment"].items()}
        env["NATS_URL"] = env["NATS_URL"].replace("nats://nats:4222", nats.url)
        env["SAMEN_DATA_DIR"] = str(tmp_path / "data")
        env.pop("SAMEN_SMTP_URL")  # no mail catcher here: mail goes to .eml files
        if "SAMEN_HTTP_PORT" in env:
            env["SAMEN_HTTP_HOST"] = "127.0.0.1"
            env["SAMEN_HTTP_PORT"] = str(port)
        if "SAMEN_METRICS_PORT" in env:
            env["SAMEN_METRICS_PORT"] = str(free_port())
        if "SAMEN_DATABASE_URL" in env:
            # postgres:5432/<service> -> a fresh database on this machine's server, or SQLite.
            env["SAMEN_DATABASE_URL"] = (
                postgres.create(name)
                if postgres is not None
                else f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
            )
        envs[name] = {**os.environ, **env}
    provision = subprocess.run(
        local_command(services["provision"]["command"]),
        env=envs["provision"],
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    assert provision.returncode == 0, provision.stderr.decode()
    processes = [
        subprocess.Popen(
            local_command(services[name]["command"]),
            env=envs[name],
            cwd=REPO,
            stdout=(tmp_path / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for name in SERVICES
    ]
    try:
        yield f"http://127.0.0.1:{port}", envs
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        nats.stop()


def test_the_compose_commands_start_a_ready_system(
    local_compose: tuple[str, dict[str, dict[str, str]]],
) -> None:
    url, envs = local_compose
    wait_until(
        lambda: httpx.get(f"{url}/readyz", timeout=3).status_code == 200,
        timeout=60,
        message="the services from docker-compose.yml did not become ready",
    )
    # The containers' health checks pass too.
    services = compose()["services"]
    for name in ("registry", "matching", "notify"):
        check = local_command(services[name]["healthcheck"]["test"][1:])
        result = subprocess.run(check, env=envs[name], cwd=REPO, capture_output=True, timeout=30)
        assert result.returncode == 0, (name, result.stdout.decode(), result.stderr.decode())
    # Each process has settled its heap once started (shared.heap).
    metrics = {
        name: f"http://127.0.0.1:{envs[name]['SAMEN_METRICS_PORT']}/metrics" for name in SERVICES
    }
    for name, address in metrics.items():
        text = httpx.get(address, timeout=3).text
        frozen = metric_sample(text, "samen_collector_frozen_objects", service=name)
        assert frozen > 50_000, name
