"""Where a running `samen up` is, written into its data folder, so that every other `samen`
command on the same folder reaches the same NATS and databases without being told.

`samen up` picks a free port for its own nats-server (4322 when free) and gives each service a
NATS password of its own for that run; a command started beside it would otherwise publish to
the default `nats://127.0.0.1:4222` and reach nobody. The file holds those passwords, so it is
readable by its owner only (0600), like the secret key beside it, and removed when `samen up`
stops. An explicit `NATS_URL` (or database URL) always wins over it.
"""

import json
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.settings import Settings

FILE_NAME = "running.json"


@dataclass(frozen=True)
class RunningSystem:
    data_dir: Path
    pid: int  # the `samen up` process
    web_url: str
    nats_url: str
    nats_passwords: Mapping[str, str] = field(default_factory=dict)  # NATS user -> password
    database_urls: Mapping[str, str] = field(default_factory=dict)  # service -> URL, if not default


def write(system: RunningSystem) -> Path:
    """Write the file whole or not at all, never readable by others."""
    path = system.data_dir / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{FILE_NAME}.{secrets.token_hex(8)}")
    payload = {
        "pid": system.pid,
        "web_url": system.web_url,
        "nats_url": system.nats_url,
        "nats_passwords": dict(system.nats_passwords),
        "database_urls": dict(system.database_urls),
    }
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(payload, file)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def remove(data_dir: Path, pid: int) -> None:
    """Remove the file if it is still this process's (a second `samen up` may have taken over)."""
    system = read(data_dir)
    if system is not None and system.pid == pid:
        (data_dir / FILE_NAME).unlink(missing_ok=True)


def read(data_dir: Path) -> RunningSystem | None:
    try:
        raw = json.loads((data_dir / FILE_NAME).read_text())
        return RunningSystem(
            data_dir=data_dir,
            pid=int(raw["pid"]),
            web_url=str(raw["web_url"]),
            nats_url=str(raw["nats_url"]),
            nats_passwords={str(k): str(v) for k, v in raw.get("nats_passwords", {}).items()},
            database_urls={str(k): str(v) for k, v in raw.get("database_urls", {}).items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def find(data_dir: Path) -> RunningSystem | None:
    """The `samen up` that runs from `data_dir`, if one does (a file left by a crash is not)."""
    system = read(data_dir)
    if system is None or not _alive(system.pid):
        return None
    return system


def tell(line: str) -> None:
    """Say which system a command works on: on stderr, apart from the command's own output."""
    print(line, file=sys.stderr, flush=True)


def _told_nats(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("NATS_URL") or environ.get("SAMEN_NATS_URL"))


def settings_for_command(
    service: str,
    *,
    nats_user: str | None = None,
    say: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings a command acting as `service` (and NATS user `nats_user`, by default the
    service's own) should use: those of the running system in the data folder unless the
    environment names a NATS server; `say` hears which one it is."""
    environ = os.environ if environ is None else environ
    settings = settings or Settings()
    running = find(settings.data_dir)
    system = None if _told_nats(environ) else running
    updates: dict[str, object] = {}
    # The database: SAMEN_DATABASE_URL, else the service's own variable (as `samen up` maps it),
    # else the running system's, else the default in the data folder.
    own = environ.get(f"SAMEN_{service.upper()}_DATABASE_URL")
    if not environ.get("SAMEN_DATABASE_URL"):
        database = own or (running.database_urls.get(service) if running else None)
        if database:
            updates["database_url"] = database
    if system is None:
        if say is not None:
            reason = (
                "as NATS_URL says"
                if _told_nats(environ)
                else f"no `samen up` runs from {settings.data_dir}"
            )
            say(f"Using NATS {settings.nats_url} ({reason}).")
        return settings.model_copy(update=updates)
    updates["nats_url"] = system.nats_url
    user = nats_user or service
    password = system.nats_passwords.get(user)
    if password is not None and not environ.get("SAMEN_NATS_PASSWORD"):
        updates.update(nats_user=user, nats_password=password)
    if say is not None:
        say(
            f"Using the system `samen up` runs from {settings.data_dir} "
            f"(NATS {system.nats_url}, {system.web_url})."
        )
    return settings.model_copy(update=updates)
