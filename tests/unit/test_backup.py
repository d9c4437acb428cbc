"""The parts of `samen backup` / `samen restore` that decide: what a manifest says and accepts,
which database holds data (a restore there is refused), where a backup may be written."""

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from samen.backup import (
    FORMAT,
    MANIFEST,
    BackupError,
    alembic_revision,
    holds_data,
    make_manifest,
    read_manifest,
    reading_from,
    writing_to,
)


def sqlite_db(path: Path, *statements: str) -> str:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    return f"sqlite+aiosqlite:///{path}"


def test_a_manifest_names_each_database_its_revision_and_the_stream_counts(tmp_path: Path) -> None:
    manifest = make_manifest(
        databases={"registry": "registry.db"},
        revisions={"registry": "0007"},
        streams={"SAMEN_EVENTS": 12, "SAMEN_DLQ": 0},
        now=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )
    assert manifest["format"] == FORMAT
    assert manifest["made_at"] == "2026-03-01T09:30:00+00:00"
    assert manifest["databases"] == {
        "registry": {"file": "registry.db", "alembic_revision": "0007"}
    }
    assert manifest["streams"] == {"SAMEN_EVENTS": 12, "SAMEN_DLQ": 0}
    assert set(manifest["versions"]) == {"samen", "nats-py"}
    (tmp_path / "registry.db").write_bytes(b"")
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert read_manifest(tmp_path) == manifest


def test_a_folder_without_a_manifest_or_with_a_database_missing_is_no_backup(
    tmp_path: Path,
) -> None:
    with pytest.raises(BackupError, match="not a Samen backup"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"format": FORMAT + 1}))
    with pytest.raises(BackupError, match="format"):
        read_manifest(tmp_path)
    entry = {"file": "matching.db", "alembic_revision": None}
    (tmp_path / MANIFEST).write_text(
        json.dumps({"format": FORMAT, "databases": {"matching": entry}})
    )
    with pytest.raises(BackupError, match="matching database is missing"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text(
        json.dumps({"format": FORMAT, "databases": {"../etc": {"file": MANIFEST}}})
    )
    with pytest.raises(BackupError, match="missing"):
        read_manifest(tmp_path)


def test_only_a_database_with_rows_beyond_its_schema_version_holds_data(tmp_path: Path) -> None:
    missing = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    assert not holds_data(missing) and alembic_revision(missing) is None
    migrated = sqlite_db(
        tmp_path / "migrated.db",
        "CREATE TABLE alembic_version (version_num TEXT)",
        "INSERT INTO alembic_version VALUES ('abc123')",
        "CREATE TABLE members (id TEXT)",
    )
    assert not holds_data(migrated)
    assert alembic_revision(migrated) == "abc123"
    used = sqlite_db(
        tmp_path / "used.db", "CREATE TABLE members (id TEXT)", "INSERT INTO members VALUES ('m')"
    )
    assert holds_data(used)


def test_a_backup_goes_into_a_new_folder_or_a_new_archive_and_reads_back(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("x")
    with pytest.raises(BackupError, match="not empty"), writing_to(full):
        pass
    archive = tmp_path / "backup.tar.gz"
    with writing_to(archive) as folder:
        (folder / MANIFEST).write_text("{}")
    with pytest.raises(BackupError, match="exists already"), writing_to(archive):
        pass
    with reading_from(archive) as folder:
        assert (folder / MANIFEST).read_text() == "{}"
    with pytest.raises(BackupError, match="no backup"), reading_from(tmp_path / "gone.tar.gz"):
        pass
