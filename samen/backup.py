"""`samen backup` / `samen restore`: every service's database and the JetStream streams.

A backup is a folder (or a .tar.gz of one) holding, per service, `<service>.db` (a SQLite copy
made with the online backup API, consistent while the service writes) or `<service>.dump`
(`pg_dump` in custom format), a `<stream>.jsonl` per stream with each message's subject, headers
(its Nats-Msg-Id among them) and data in stream order, and `manifest.json` saying what is there.

A restore goes into an empty system before it starts: the databases are written, the streams
and durable consumers are declared and the messages published again in order. The consumers
then deliver every event once more; each service's inbox table (restored with its database)
holds the ids of the events it already handled, so those change nothing a second time.
"""

import asyncio
import base64
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import nats
from nats.js.errors import NotFoundError
from sqlalchemy.engine import make_url

from shared.db import libpq_url
from shared.streams import CONSUMERS, STREAMS, provision

MANIFEST = "manifest.json"
FORMAT = 1
SERVICES = ("registry", "matching", "notify", "gateway")
STREAM_NAMES = tuple(spec.name for spec in STREAMS)


class BackupError(Exception):
    """Something an operator must fix; said in one line, without a traceback."""


@dataclass(frozen=True)
class Target:
    """Where a system keeps its data: a database URL per service and its NATS."""

    database_urls: Mapping[str, str]
    nats_servers: list[str]
    nats_user: str | None = None
    nats_password: str | None = None


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupError(f"a SQLite URL without a file: {url}")
    return Path(database)


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools")
    return tool


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"{Path(args[0]).name}: {last}")


# --- What a database holds --------------------------------------------------------------------


def alembic_revision(url: str) -> str | None:
    """The schema revision a database is at (None: no schema yet)."""
    rows = _query(url, "SELECT version_num FROM alembic_version")
    return str(rows[0][0]) if rows else None


def holds_data(url: str) -> bool:
    """Whether any table other than Alembic's has a row: a restore would overwrite it."""
    if _is_sqlite(url):
        tables = _query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        tables = _query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    for (table,) in tables:
        if table == "alembic_version" or str(table).startswith("sqlite_"):
            continue
        if _query(url, f'SELECT 1 FROM "{table}" LIMIT 1'):
            return True
    return False


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    if _is_sqlite(url):
        path = _sqlite_path(url)
        if not path.exists():
            return []
        with closing_sqlite(path) as conn:
            try:
                return list(conn.execute(sql).fetchall())
            except sqlite3.OperationalError:
                return []  # no such table
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        try:
            return list(conn.execute(sql).fetchall())
        except psycopg.errors.UndefinedTable:
            return []


@contextmanager
def closing_sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


# --- Databases --------------------------------------------------------------------------------


def copy_database(url: str, folder: Path, service: str) -> str:
    """A consistent copy of one service's database in `folder`; returns the file's name."""
    if _is_sqlite(url):
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"{service}: no database at {source}")
        name = f"{service}.db"
        src = sqlite3.connect(source)
        dst = sqlite3.connect(folder / name)
        try:
            src.backup(dst)  # the online backup API: a snapshot while the service writes
        finally:
            dst.close()
            src.close()
        return name
    name = f"{service}.dump"
    _run([_pg_tool("pg_dump"), "--format=custom", f"--file={folder / name}", libpq_url(url)])
    return name


def restore_database(url: str, folder: Path, file_name: str) -> None:
    if file_name.endswith(".db"):
        if not _is_sqlite(url):
            raise BackupError(f"{file_name} is a SQLite copy; the target is PostgreSQL")
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):  # a journal of an older file must not be replayed
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        src = sqlite3.connect(folder / file_name)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    if _is_sqlite(url):
        raise BackupError(f"{file_name} is a PostgreSQL dump; the target is SQLite")
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            f"--dbname={libpq_url(url)}",
            str(folder / file_name),
        ]
    )


# --- Streams ----------------------------------------------------------------------------------


async def _connect(target: Target) -> nats.NATS:
    return await nats.connect(
        target.nats_servers,
        user=target.nats_user,
        password=target.nats_password,
        connect_timeout=5,
        allow_reconnect=False,
    )


async def export_streams(
    target: Target, folder: Path, progress: Callable[[str, int, int], None]
) -> dict[str, int]:
    """Each stream's messages, in order, one JSON line each; returns how many per stream."""
    client = await _connect(target)
    counts: dict[str, int] = {}
    try:
        js = client.jetstream()
        for name in STREAM_NAMES:
            try:
                info = await js.stream_info(name)
            except NotFoundError:
                counts[name] = 0
                continue
            first, last = info.state.first_seq, info.state.last_seq
            written = 0
            with (folder / f"{name}.jsonl").open("w") as out:
                for seq in range(first, last + 1) if info.state.messages else ():
                    try:
                        message = await js.get_msg(name, seq)
                    except NotFoundError:
                        continue  # deleted or aged out between the look and the read
                    line = {
                        "seq": seq,
                        "subject": message.subject,
                        "headers": dict(message.headers or {}),
                        "data": base64.b64encode(message.data or b"").decode(),
                    }
                    out.write(json.dumps(line) + "\n")
                    written += 1
                    progress(name, seq - first + 1, last - first + 1)
            counts[name] = written
    finally:
        await client.close()
    return counts


async def stream_message_counts(target: Target) -> dict[str, int]:
    client = await _connect(target)
    try:
        js = client.jetstream()
        counts: dict[str, int] = {}
        for name in STREAM_NAMES:
            try:
                counts[name] = (await js.stream_info(name)).state.messages
            except NotFoundError:
                counts[name] = 0
        return counts
    finally:
        await client.close()


async def delete_streams(target: Target) -> None:
    """For --force: the target's streams go, so the backup's messages are all there is."""
    client = await _connect(target)
    try:
        js = client.jetstream()
        for name in STREAM_NAMES:
            with suppress(NotFoundError):
                await js.delete_stream(name)
    finally:
        await client.close()


async def import_streams(
    target: Target, folder: Path, progress: Callable[[str, int, int], None]
) -> dict[str, int]:
    """Declare streams and consumers, then publish every message again in its order."""
    client = await _connect(target)
    counts: dict[str, int] = {}
    try:
        js = client.jetstream()
        await provision(js, consumers=CONSUMERS)
        for name in STREAM_NAMES:
            path = folder / f"{name}.jsonl"
            lines = path.read_text().splitlines() if path.exists() else []
            for n, raw in enumerate(lines, 1):
                line = json.loads(raw)
                await js.publish(
                    line["subject"],
                    base64.b64decode(line["data"]),
                    stream=name,
                    headers=line["headers"] or None,
                )
                progress(name, n, len(lines))
            counts[name] = len(lines)
    finally:
        await client.close()
    return counts


# --- The manifest -----------------------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def make_manifest(
    *,
    databases: Mapping[str, str],
    revisions: Mapping[str, str | None],
    streams: Mapping[str, int],
    now: datetime,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "made_at": now.astimezone(UTC).isoformat(),
        "versions": {"samen": _version("samen"), "nats-py": _version("nats-py")},
        "databases": {
            service: {"file": databases[service], "alembic_revision": revisions.get(service)}
            for service in databases
        },
        "streams": dict(streams),
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"not a Samen backup: no readable {MANIFEST} in {folder}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"not a backup this version can restore (format {FORMAT})")
    for service, entry in manifest.get("databases", {}).items():
        if service not in SERVICES or not (folder / str(entry.get("file", ""))).is_file():
            raise BackupError(f"the backup's {service} database is missing")
    return manifest


def refusals(target: Target, manifest: Mapping[str, Any]) -> list[str]:
    """What in the target already holds data (a restore there would lose or mix it)."""
    found = [
        f"the {service} database"
        for service in manifest.get("databases", {})
        if holds_data(target.database_urls[service])
    ]
    counts = asyncio.run(stream_message_counts(target))
    found += [f"stream {name}" for name, count in counts.items() if count]
    return found


# --- Folders and archives ---------------------------------------------------------------------


@contextmanager
def writing_to(dest: Path) -> Iterator[Path]:
    """A folder to write the backup into: `dest` itself, or one packed into `dest` (.tar.gz)."""
    if not dest.name.endswith(".tar.gz"):
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise BackupError(f"{dest} is not empty: back up into a new folder")
        yield dest
        return
    if dest.exists():
        raise BackupError(f"{dest} exists already")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "samen-backup"
        folder.mkdir()
        yield folder
        with tarfile.open(dest, "w:gz") as archive:
            archive.add(folder, arcname="samen-backup")


@contextmanager
def reading_from(src: Path) -> Iterator[Path]:
    if src.is_dir():
        yield src
        return
    if not src.is_file():
        raise BackupError(f"no backup at {src}")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(src, "r:gz") as archive:
        archive.extractall(tmp, filter="data")  # no paths outside, no devices or links out
        yield Path(tmp) / "samen-backup"
