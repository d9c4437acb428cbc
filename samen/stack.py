"""The whole system as one `samen up` child process, for the tests and the benchmarks."""

import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from samen.nats_server import free_port
from shared import running_system
from shared.db import libpq_url

REPO = Path(__file__).resolve().parent.parent


@dataclass
class RunningStack:
    url: str
    nats_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)  # the environment `samen up` got
    started_at: float = 0.0
    ready_after: float = 0.0  # seconds from start to /readyz 200
    repo: Path = REPO  # the checkout whose code runs

    @property
    def metrics_url(self) -> str:
        """The gateway's /metrics: a port of its own, not the web port."""
        return f"http://127.0.0.1:{self.env['SAMEN_GATEWAY_METRICS_PORT']}/metrics"

    def logs(self, service: str) -> str:
        path = self.data_dir / "logs" / f"{service}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class PostgresDatabases:
    """Fresh PostgreSQL databases on a server the machine already runs, dropped at the end
    (the tests' and the benchmarks' databases). `release` drops some early, in the
    background: a DROP DATABASE takes a tenth of a second or more, which a test need not wait
    for."""

    def __init__(self, admin_url: str, prefix: str = "samen_t") -> None:
        self.admin_url = admin_url
        self.prefix = f"{prefix}{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        self._dropper: ThreadPoolExecutor | None = None
        self._drops: list[Future[None]] = []

    def _admin_dsn(self) -> str:
        return libpq_url(self.admin_url)

    def create(self, label: str) -> str:
        name = f"{self.prefix}_{label}_{len(self.created) + len(self._drops)}"
        name = name.lower().replace("-", "_")
        with psycopg.connect(self._admin_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        url = make_url(self.admin_url).set(drivername="postgresql+asyncpg", database=name)
        return url.render_as_string(hide_password=False)

    def release(self, urls: list[str]) -> None:
        """Drop these databases (made by `create`) in the background; nobody uses them now."""
        names = [make_url(url).database for url in urls]
        if self._dropper is None:
            self._dropper = ThreadPoolExecutor(1, thread_name_prefix="drop-databases")
        for name in names:
            if name in self.created:
                self.created.remove(name)
                self._drops.append(self._dropper.submit(self._drop, [name]))

    def _drop(self, names: list[str]) -> None:
        with psycopg.connect(self._admin_dsn(), autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_all(self) -> None:
        self._drop(self.created)
        self.created.clear()
        for drop in self._drops:
            drop.result()
        self._drops.clear()
        if self._dropper is not None:
            self._dropper.shutdown()
            self._dropper = None


def start_stack(
    data_dir: Path,
    *,
    nats_url: str | None,
    env: dict[str, str] | None = None,
    log_path: Path,
    timeout: float = 60.0,
    repo: Path = REPO,
) -> RunningStack:
    """Run `samen up` against `nats_url` (None: the nats-server `samen up` starts itself, as
    `make run` does) and wait until /readyz answers 200. `repo` is the checkout whose code runs
    (its folder comes first on the processes' import path)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "SAMEN_NATS_URL")}
    if nats_url is not None:
        full_env["NATS_URL"] = nats_url
    full_env.update(
        {
            "SAMEN_DATA_DIR": str(data_dir),
            "SAMEN_HTTP_PORT": str(port),
            "SAMEN_LOG_LEVEL": "INFO",
        }
    )
    # Ports of their own, not `samen up`'s defaults: stacks started side by side (parallel
    # tests) would otherwise race for the same ones.
    for service in ("registry", "matching", "notify", "gateway"):
        full_env[f"SAMEN_{service.upper()}_METRICS_PORT"] = str(free_port())
    full_env.update(env or {})
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "samen", "up"], env=full_env, cwd=repo, stdout=log, stderr=log
        )
    stack = RunningStack(
        f"http://127.0.0.1:{port}",
        nats_url or "",
        data_dir,
        process,
        full_env,
        started_at=started,
        repo=repo,
    )
    deadline = started + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"samen up exited:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{stack.url}/readyz", timeout=2).status_code == 200:
                stack.ready_after = time.monotonic() - started
                if not stack.nats_url:  # its own: where it runs is in the data folder
                    running = running_system.read(data_dir)
                    stack.nats_url = running.nats_url if running else ""
                return stack
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stack.stop()
    raise TimeoutError(f"the system did not become ready within {timeout} s; see {data_dir}/logs")
