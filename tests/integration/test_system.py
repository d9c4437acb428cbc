"""The whole system as real processes: `samen up`, readiness, restarts, a clean stop."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from samen.nats_server import free_port
from tests.conftest import REPO, RunningSystem
from tests.support import processes_with_env, wait_until

pytestmark = pytest.mark.integration


def service_pid(system: RunningSystem, service: str) -> int:
    for pid in processes_with_env("SAMEN_DATA_DIR", str(system.data_dir.resolve())):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if f"services.{service}".encode() in cmdline:
            return pid
    raise LookupError(service)


def readiness(system: RunningSystem) -> httpx.Response:
    return httpx.get(f"{system.url}/readyz", timeout=10)


def test_readyz_names_every_part_and_each_is_healthy(system: RunningSystem) -> None:
    response = readiness(system)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "parts": {"nats": "ok", "registry": "ok", "matching": "ok", "notify": "ok"},
    }
    assert httpx.get(f"{system.url}/healthz").json() == {"status": "ok"}


def test_readyz_says_which_service_is_down(system: RunningSystem) -> None:
    pid = service_pid(system, "notify")
    os.kill(pid, signal.SIGSTOP)  # frozen: it cannot answer its health check
    try:
        response = readiness(system)
        assert response.status_code == 503
        parts = response.json()["parts"]
        assert parts["notify"].startswith("down")
        assert parts["registry"] == parts["matching"] == parts["nats"] == "ok"
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(lambda: readiness(system).status_code == 200, message="notify did not recover")


def test_a_crashed_service_is_restarted(system: RunningSystem) -> None:
    pid = service_pid(system, "matching")
    os.kill(pid, signal.SIGKILL)

    def restarted() -> bool:
        new_pid = service_pid(system, "matching")
        return new_pid != pid and readiness(system).status_code == 200

    wait_until(restarted, timeout=30, message="matching was not restarted")


def test_samen_up_runs_its_own_nats_and_ctrl_c_leaves_no_process(tmp_path: Path) -> None:
    """What `make run` does on a fresh machine: no NATS_URL, no database settings."""
    data_dir = (tmp_path / "var").resolve()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMEN_", "NATS_"))}
    env["SAMEN_DATA_DIR"] = str(data_dir)
    output_file = tmp_path / "samen-up.out"
    with output_file.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "samen", "up", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: f"Samen is running at http://127.0.0.1:{port}" in output_file.read_text(),
            timeout=60,
            message="samen up did not say it is ready",
        )
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        # Where everything runs, in a table printed before the "running" line.
        said = output_file.read_text()
        assert f"│ web      │ gateway  │ http://127.0.0.1:{port}" in said
        assert "│ NATS     │          │ nats://127.0.0.1:" in said
        for service in ("registry", "matching", "notify", "gateway"):
            database = f"sqlite+aiosqlite:///{data_dir / service}.db"
            assert f"│ database │ {service:<8} │ {database}" in said, said
            metrics = re.search(
                rf"│ metrics  │ {service:<8} │ (http://127\.0\.0\.1:\d+/metrics)", said
            )
            assert metrics, said
            assert "samen_" in httpx.get(metrics.group(1), timeout=5).text
        assert f"│ mail     │ notify   │ .eml files in {data_dir / 'mail'}" in said
        assert len(processes_with_env("SAMEN_DATA_DIR", str(data_dir))) >= 6  # up, nats, 4
        assert (data_dir / "jetstream").is_dir()
        assert {p.name for p in data_dir.glob("*.db")} >= {
            "registry.db",
            "matching.db",
            "notify.db",
        }
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0, output_file.read_text()
    assert "everything stopped" in output_file.read_text()
    assert processes_with_env("SAMEN_DATA_DIR", str(data_dir)) == []
