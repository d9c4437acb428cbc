"""The system under benchmark: `samen up` on a nats-server of its own, on PostgreSQL when the
machine runs one (SAMEN_BENCH_POSTGRES_URL, or a server answering on 127.0.0.1:5432), else
SQLite; SAMEN_BENCH_DATABASE=sqlite forces SQLite."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from samen.nats_server import NatsServer
from samen.stack import REPO, PostgresDatabases, RunningStack, start_stack
from shared.db import libpq_url

SERVICES = ("registry", "matching", "notify", "gateway")
# The load generators register and log in many residents from one address: lift those limits.
LOAD_ENV = {"SAMEN_REGISTER_ATTEMPTS": "100000", "SAMEN_LOGIN_ATTEMPTS": "100000"}
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_url() -> str | None:
    if os.environ.get("SAMEN_BENCH_DATABASE") == "sqlite":
        return None
    url = os.environ.get("SAMEN_BENCH_POSTGRES_URL")
    if url:
        return url
    if shutil.which("pg_isready") and (
        subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0
    ):
        return LOCAL_POSTGRES
    return None


@dataclass
class BenchStack:
    stack: RunningStack
    nats: NatsServer
    database: str  # "postgresql" or "sqlite"
    database_urls: dict[str, str]

    async def refresh_statistics(self) -> None:
        """ANALYZE every service database, as autovacuum does on a system that has been running
        for a while (PostgreSQL only). A benchmark's databases are minutes old: without this,
        plans made while the tables were empty are kept for the whole run, and they read
        more and more rows as the tables grow (matching's per-candidate counts, say)."""
        if self.database != "postgresql":
            return
        for url in self.database_urls.values():
            connection = await asyncpg.connect(libpq_url(url))
            try:
                await connection.execute("ANALYZE")
            finally:
                await connection.close()


@contextlib.contextmanager
def bench_stack(extra_env: dict[str, str] | None = None, repo: Path = REPO) -> Iterator[BenchStack]:
    admin = postgres_url()
    databases = PostgresDatabases(admin, prefix="samen_bench_") if admin else None
    urls: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="samen-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = {"SAMEN_ENV": "production", "SAMEN_LOG_LEVEL": "WARNING", **(extra_env or {})}
        for service in SERVICES:
            if databases is not None:
                urls[service] = databases.create(service)
                env[f"SAMEN_{service.upper()}_DATABASE_URL"] = urls[service]
            else:
                urls[service] = f"sqlite+aiosqlite:///{tmp / 'data' / f'{service}.db'}"
        nats = NatsServer(tmp / "jetstream").start()
        try:
            stack = start_stack(
                tmp / "data", nats_url=nats.url, env=env, log_path=tmp / "up.log", repo=repo
            )
            try:
                yield BenchStack(stack, nats, "postgresql" if admin else "sqlite", urls)
            finally:
                stack.stop()
        finally:
            nats.stop()
            if databases is not None:
                databases.drop_all()


def stack_memory_mb(stack: RunningStack) -> float:
    """Resident memory of `samen up` and every process it started (nats-server excluded when
    it is not a child), in MB."""
    pids = _descendants(stack.process.pid) | {stack.process.pid}
    total_kb = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return round(total_kb / 1024, 1)


def service_pids(stack: RunningStack) -> dict[str, int]:
    """The process id of each service `samen up` started, by service name."""
    pids: dict[str, int] = {}
    for pid in _descendants(stack.process.pid):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "services." in command:
                pids[command.split("services.", 1)[1].split()[0].split(".")[0]] = pid
    return pids


def cpu_seconds(
    stack: RunningStack, databases: Mapping[str, str] | None = None
) -> dict[int, tuple[str, float]]:
    """CPU time (user + system) used so far by each process of the stack, by pid: the services
    (by name), the nats-server, every PostgreSQL process on the machine (`postgres`) and this
    benchmark itself (`load generator`). With `databases` (service -> database URL), the
    backends serving those databases are named by service (`postgres: matching`)."""
    backend_of = {
        make_url(url).database: f"postgres: {service}"
        for service, url in (databases or {}).items()
        if url.startswith("postgresql")
    }
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, tuple[str, float]] = {}
    stack_pids = _descendants(stack.process.pid) | {stack.process.pid}
    ours = _descendants(os.getpid())  # the benchmark's own nats-server
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = stat.rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / tick
            if pid == os.getpid():
                name = "load generator"  # this benchmark: HTTP client and event watcher
            elif pid in stack_pids and "services." in command:
                name = command.split("services.", 1)[1].split()[0]
            elif "nats-server" in command and pid in stack_pids | ours:
                name = "nats-server"
            elif command.startswith("postgres"):
                # A backend's title: "postgres: [<cluster>: ]<user> <database> <client> <state>"
                rest = "postgres: other" if backend_of else "postgres"  # background, others
                database = next((w for w in command.split() if w in backend_of), None)
                name = backend_of[database] if database else rest
            else:
                continue
            used[pid] = (name, seconds)
    return used


def cpu_used_between(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds per part of the stack between two `cpu_seconds` readings (processes that
    ended in between are not counted; new ones count from their start)."""
    used: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        earlier = before.get(pid)
        start = earlier[1] if earlier is not None and earlier[0] == name else 0.0
        used[name] = used.get(name, 0.0) + seconds - start
    return used


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
