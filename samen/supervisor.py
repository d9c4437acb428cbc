"""`samen up`: a real nats-server, the three services and the gateway as child processes.

Without SAMEN_SECRET_KEY in the environment, the children get the key kept in
`<data_dir>/secret_key` (made on the first start: samen/keyfile.py).

A child that crashes is restarted with backoff; Ctrl-C or SIGTERM stops everything, children
first, and leaves no process behind (children also die with the supervisor: PDEATHSIG).
"""

import asyncio
import contextlib
import ctypes
import os
import re
import secrets
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats

from samen import keyfile
from samen.nats_server import NatsServer, free_port
from shared import running_system
from shared.logging import get_logger
from shared.reach import expect_nats
from shared.streams import CONSUMERS, provision
from shared.subjects import ADMIN_USER

log = get_logger("samen.up")

SERVICES = ("registry", "matching", "notify", "gateway")
DEFAULT_NATS_PORT = 4322
# Each service's /metrics under `samen up`, one port each (a free one when taken), on 127.0.0.1
# unless SAMEN_METRICS_HOST says otherwise: figures of a laptop are nobody else's business.
DEFAULT_METRICS_PORTS = {"registry": 9101, "matching": 9102, "notify": 9103, "gateway": 9104}
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it if the supervisor dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_NATS_PASSWORD_VAR = re.compile(r"\$(SAMEN_NATS_\w+_PASSWORD)\b")
_INCLUDE = re.compile(r"^\s*include\s+\"?([^\"\s;]+)\"?", re.MULTILINE)


def nats_credentials(config_file: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The passwords a nats-server configuration takes from its environment
    (`$SAMEN_NATS_<USER>_PASSWORD`, deploy/nats/auth.conf): the value in `environ` when set,
    else a random one for this run."""
    names: set[str] = set()
    pending, seen = [config_file.resolve()], set()
    while pending:
        path = pending.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        text = path.read_text()
        names.update(_NATS_PASSWORD_VAR.findall(text))
        pending.extend((path.parent / include).resolve() for include in _INCLUDE.findall(text))
    # nats-server parses the value like one in its file: a letter first keeps it a string.
    return {name: environ.get(name) or f"samen{secrets.token_hex(16)}" for name in sorted(names)}


OWN_NATS_CONFIG = """\
# Written by `samen up` at each start: the accounts of deploy/nats (auth.conf, generated from
# the code) with a random password per user for this run. plugins.conf here is kept: add a
# plug-in's account to it (`samen plugin nats-user`) and export its password variable.
server_name: samen
max_payload: 1MB
include "auth.conf"
"""


def own_nats_config(folder: Path) -> Path:
    """The nats-server configuration of `samen up` without `--nats-config`: every service in an
    account of its own, as in production, so that no local process reaches NATS unasked."""
    from shared.nats_accounts import auth_conf  # only here: it imports the RPC contracts

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "auth.conf").write_text(auth_conf())
    plugins = folder / "plugins.conf"
    if not plugins.exists():
        plugins.write_text("# Plug-in accounts for this data folder (`samen plugin nats-user`).\n")
    config = folder / "samen.conf"
    config.write_text(OWN_NATS_CONFIG)
    return config


def service_env(service: str, base: dict[str, str]) -> dict[str, str]:
    """The environment of one child: SAMEN_<SERVICE>_DATABASE_URL becomes its database URL,
    SAMEN_<SERVICE>_METRICS_PORT its metrics port, SAMEN_NATS_<SERVICE>_PASSWORD its NATS
    password (user = the service's name)."""
    env = dict(base)
    own_url = base.get(f"SAMEN_{service.upper()}_DATABASE_URL")
    if own_url:
        env["SAMEN_DATABASE_URL"] = own_url
    else:
        env.pop("SAMEN_DATABASE_URL", None)  # never let services share one database
    own_port = base.get(f"SAMEN_{service.upper()}_METRICS_PORT")
    if own_port:
        env["SAMEN_METRICS_PORT"] = own_port
    else:
        env.pop("SAMEN_METRICS_PORT", None)  # one port for all: every child but one would fail
    own_password = base.get(f"SAMEN_NATS_{service.upper()}_PASSWORD")
    if own_password:
        env["SAMEN_NATS_USER"] = service
        env["SAMEN_NATS_PASSWORD"] = own_password
    for name in [n for n in env if re.fullmatch(r"SAMEN_NATS_\w+_PASSWORD", n)]:
        del env[name]  # no child sees another's password
    return env


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    started_at: float = 0.0
    backoff: float = field(default=1.0)

    async def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = open(self.log_path, "ab")  # noqa: SIM115, ASYNC230 - handed to the child
        self.process = await asyncio.create_subprocess_exec(
            *self.command,
            env=self.env,
            stdout=log_file,
            stderr=log_file,
            preexec_fn=_die_with_parent,
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops children in order
        )
        log_file.close()
        self.started_at = time.monotonic()

    async def stop(self, timeout: float = 10.0) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


class Supervisor:
    def __init__(
        self,
        *,
        data_dir: Path,
        http_port: int,
        nats_url: str | None = None,
        nats_port: int | None = None,
        nats_config: Path | None = None,
        extra_env: dict[str, str] | None = None,
        services: tuple[str, ...] = SERVICES,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.http_port = http_port
        self.nats: NatsServer | None = None
        self.nats_url = nats_url
        self._nats_port = nats_port
        if nats_config is None and nats_url is None:
            nats_config = own_nats_config(self.data_dir / "nats")
        self._nats_config = nats_config
        self.extra_env = extra_env or {}
        self.services = services
        self.children: list[Child] = []
        # With a configuration of users (deploy/nats/auth.conf): each service's password.
        self._nats_passwords = (
            nats_credentials(nats_config, os.environ) if nats_config and not nats_url else {}
        )
        self._stopping = asyncio.Event()
        self._restart_tasks: set[asyncio.Future[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _start_nats(self) -> str:
        if self.nats_url:
            return self.nats_url
        self.nats = NatsServer(
            self.data_dir / "jetstream",
            port=free_port(self._nats_port or DEFAULT_NATS_PORT),
            config_file=self._nats_config,
            log_file=self.data_dir / "logs" / "nats-server.log",
            env={**os.environ, **self._nats_passwords},
        ).start()
        log.info("nats-server started", url=self.nats.url)
        return self.nats.url

    def _children(self, nats_url: str) -> list[Child]:
        base = dict(os.environ)
        base.update(
            {
                "NATS_URL": nats_url,
                "SAMEN_DATA_DIR": str(self.data_dir),
                "SAMEN_HTTP_PORT": str(self.http_port),
                "SAMEN_PUBLIC_URL": base.get("SAMEN_PUBLIC_URL", self.url),
                "PYTHONUNBUFFERED": "1",
                # Their output goes to files that `samen logs` reads: JSON lines.
                "SAMEN_LOG_FORMAT": base.get("SAMEN_LOG_FORMAT") or "json",
            }
        )
        base.update(self._nats_passwords)
        base.update(self.extra_env)
        base.setdefault("SAMEN_METRICS_HOST", "127.0.0.1")
        taken: set[str] = set()
        for service in self.services:
            variable = f"SAMEN_{service.upper()}_METRICS_PORT"
            if not base.get(variable):
                port = free_port(DEFAULT_METRICS_PORTS.get(service))
                while str(port) in taken:  # a fallback port may be another's default
                    port = free_port()
                base[variable] = str(port)
            taken.add(base[variable])
        if not base.get("SAMEN_SECRET_KEY"):
            # Never a default everybody knows: a random key kept in the data folder.
            base["SAMEN_SECRET_KEY"] = keyfile.load_or_create(self.data_dir / keyfile.KEY_FILE)
        return [
            Child(
                name=service,
                command=[sys.executable, "-m", f"services.{service}"],
                env=service_env(service, base),
                log_path=self.data_dir / "logs" / f"{service}.log",
            )
            for service in self.services
        ]

    async def _provision(self, nats_url: str) -> None:
        """With a configuration of users, provisioning is the admin's: streams and every durable
        consumer are declared here, before any service starts (services have no right to)."""
        password = self._nats_passwords.get(f"SAMEN_NATS_{ADMIN_USER.upper()}_PASSWORD")
        if password is None:
            return  # an open server: each service declares what it needs
        nc = await nats.connect(nats_url, user=ADMIN_USER, password=password, connect_timeout=5)
        try:
            await provision(nc.jetstream(), consumers=CONSUMERS)
        finally:
            await nc.close()
        log.info("streams and consumers provisioned", user=ADMIN_USER)

    def _announce(self, nats_url: str) -> None:
        """Tell the other `samen` commands on this data folder where this system runs."""
        prefix, suffix = "SAMEN_NATS_", "_PASSWORD"
        passwords = {
            name[len(prefix) : -len(suffix)].lower(): value
            for name, value in self._nats_passwords.items()
        }
        databases = {
            service: url
            for service in self.services
            if (url := os.environ.get(f"SAMEN_{service.upper()}_DATABASE_URL"))
        }
        running_system.write(
            running_system.RunningSystem(
                data_dir=self.data_dir,
                pid=os.getpid(),
                web_url=self.url,
                nats_url=nats_url,
                nats_passwords=passwords,
                database_urls=databases,
            )
        )

    async def expect_nats(self) -> None:
        """With a NATS server of someone else's (NATS_URL), stop at once when it does not
        answer: every service would otherwise retry it for ever and never become ready."""
        if self.nats_url:
            await expect_nats([url.strip() for url in self.nats_url.split(",") if url.strip()])

    def places(self) -> list[tuple[str, str, str]]:
        """(what, which service, where) of everything `samen up` runs, for its table."""
        from shared.db import shown_url
        from shared.settings import Settings  # its values in force, as the children read them

        nats_url = self.nats.url if self.nats else self.nats_url or ""
        whose = "its own nats-server" if self.nats else "NATS_URL"
        rows = [
            ("web", "gateway", self.url),
            ("NATS", "", f"{nats_url} ({whose})"),
        ]
        for child in self.children:
            url = child.env.get("SAMEN_DATABASE_URL")
            settings = Settings(database_url=url, data_dir=self.data_dir)
            rows.append(("database", child.name, shown_url(settings.database_url_for(child.name))))
        for child in self.children:
            if child.name == "notify":
                smtp = child.env.get("SAMEN_SMTP_URL")
                mail = (
                    f"SMTP {shown_url(smtp)}"
                    if smtp
                    else f".eml files in {self.data_dir / 'mail'} (no SAMEN_SMTP_URL)"
                )
                rows.append(("mail", child.name, mail))
        for child in self.children:
            host = child.env.get("SAMEN_METRICS_HOST", "127.0.0.1")
            shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
            port = child.env.get("SAMEN_METRICS_PORT")
            where = f"http://{shown_host}:{port}/metrics" if port else "off"
            rows.append(("metrics", child.name, where))
        rows.append(("logs", "", str(self.data_dir / "logs")))
        return rows

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        nats_url = self._start_nats()
        await self._provision(nats_url)
        self._announce(nats_url)
        self.children = self._children(nats_url)
        for child in self.children:
            await child.start()
            log.info(
                "started", service=child.name, pid=child.process.pid if child.process else None
            )

    async def wait_ready(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline and not self._stopping.is_set():
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get(f"{self.url}/readyz")
                    if response.status_code == 200:
                        return True
                await asyncio.sleep(0.2)
        return False

    async def watch(self) -> None:
        """Restart children that exit, with backoff, until asked to stop."""
        while not self._stopping.is_set():
            for child in self.children:
                process = child.process
                if process is None or process.returncode is None:
                    continue
                if time.monotonic() - child.started_at > 60:
                    child.backoff = 1.0  # it ran fine for a while: start over
                log.warning(
                    "service exited, restarting",
                    service=child.name,
                    returncode=process.returncode,
                    restart_in=child.backoff,
                    log=str(child.log_path),
                )
                child.process = None
                asyncio.get_running_loop().call_later(child.backoff, self._schedule_restart, child)
                child.backoff = min(child.backoff * 2, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 0.5)

    def _schedule_restart(self, child: Child) -> None:
        self._restart_tasks.add(asyncio.ensure_future(self._restart(child)))

    async def _restart(self, child: Child) -> None:
        if self._stopping.is_set():
            return
        child.restarts += 1
        await child.start()

    def request_stop(self) -> None:
        self._stopping.set()

    async def stop(self) -> None:
        self._stopping.set()
        # The gateway first (no new work), then the services, then NATS.
        for child in reversed(self.children):
            await child.stop()
        running_system.remove(self.data_dir, os.getpid())
        if self.nats is not None:
            self.nats.stop()
        log.info("everything stopped")


def print_places(rows: list[tuple[str, str, str]]) -> None:
    """The table of where everything runs. Not on a terminal (a log file, a test) it is as wide
    as its longest row, so that no address is wrapped in two."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=10_000)
    table = Table("what", "service", "where", title="Samen runs here")
    for row in rows:
        table.add_row(*row)
    console.print()
    console.print(table)


async def run(
    *,
    data_dir: Path,
    http_port: int,
    nats_url: str | None,
    nats_config: Path | None = None,
    extra_env: dict[str, str] | None = None,
    on_ready: list[str] | None = None,
) -> int:
    supervisor = Supervisor(
        data_dir=data_dir,
        http_port=http_port,
        nats_url=nats_url,
        nats_config=nats_config,
        extra_env=extra_env,
    )
    started = time.monotonic()
    await supervisor.expect_nats()  # before anything starts: nothing to stop when it fails
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, supervisor.request_stop)
    try:
        await supervisor.start()
        watcher = asyncio.create_task(supervisor.watch())
        if await supervisor.wait_ready():
            took = time.monotonic() - started
            print_places(supervisor.places())
            print(f"Samen is running at {supervisor.url}  (ready in {took:.1f} s)", flush=True)
            for line in on_ready or []:
                print(line, flush=True)
            print(
                f"Logs are in {supervisor.data_dir / 'logs'}. Press Ctrl-C to stop.\n", flush=True
            )
        elif not supervisor._stopping.is_set():
            print(
                f"Samen did not become ready; see the logs in {supervisor.data_dir / 'logs'}",
                file=sys.stderr,
                flush=True,
            )
        await watcher
    finally:
        await supervisor.stop()
    return 0
