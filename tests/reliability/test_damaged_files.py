"""Cases 7 and 8: damaged project files are refused untouched with the way back (the newest
backup) in the message; a newer schema is refused untouched; an older one is backed up, then
migrated."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.reliability.support import run_cli
from workbench.db.store import open_store
from workbench.errors import DatabaseProblem


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A folder with the demo and its backup, made once by the CLI; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template")
    db = folder / "study.db"
    assert run_cli("--db", f"sqlite:///{db}", "demo", "--no-codings").returncode == 0
    done = run_cli("--db", f"sqlite:///{db}", "backup")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def project_with_backup(tmp_path, template):
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    db = tmp_path / "study.db"
    backups = list((tmp_path / "backups").glob("study-*.db"))
    assert len(backups) == 1
    return db, backups[0]


def _flip_bytes(db: Path) -> None:
    """Overwrite the header of a b-tree page in the middle of the file with garbage."""
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    middle = (len(data) // page // 2) * page
    data[middle:middle + 48] = bytes(range(200, 248))
    db.write_bytes(bytes(data))


def _truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])


def _not_sqlite(db: Path) -> None:
    db.write_bytes(b"PK\x03\x04 this is a zip someone renamed to .db" * 50)


@pytest.mark.parametrize("damage", [_flip_bytes, _truncate, _not_sqlite], ids=["flipped", "truncated", "not-sqlite"])
def test_a_damaged_project_is_refused_untouched_naming_the_newest_backup(project_with_backup, damage):
    db, backup = project_with_backup
    damage(db)
    before = _digest(db)
    with pytest.raises(DatabaseProblem) as err:
        open_store(f"sqlite:///{db}")
    message = str(err.value)
    assert str(db) in message and str(backup) in message and "untouched" in message
    assert _digest(db) == before                                  # not one byte written
    assert not list(db.parent.glob("*.before-*"))                 # no migration was attempted
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    # The CLI says the same in one line, and the backup it names opens.
    proc = run_cli("--db", f"sqlite:///{db}", "list")
    assert proc.returncode == 1 and str(backup) in proc.stderr and "Traceback" not in proc.stderr
    assert _digest(db) == before
    restored = db.parent / "restored.db"
    assert run_cli("restore", str(backup), "--to", str(restored)).returncode == 0
    open_store(f"sqlite:///{restored}").dispose()


def test_without_a_backup_the_message_says_so(tmp_path):
    db = tmp_path / "lonely.db"
    _not_sqlite(db)
    with pytest.raises(DatabaseProblem, match="No backup of it was found"):
        open_store(f"sqlite:///{db}")


def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "p.db"
    open_store(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = path.read_bytes()
    with pytest.raises(DatabaseProblem) as exc:
        open_store(f"sqlite:///{path}")
    assert "newer version" in str(exc.value) and str(path) in str(exc.value)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my interview notes, not a database" * 10)
    before = path.read_bytes()
    with pytest.raises(DatabaseProblem, match="not a workbench project"):
        open_store(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_a_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(DatabaseProblem, match="not a workbench project"):
        open_store(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("customers",)]


def test_older_schema_is_backed_up_then_migrated(tmp_path):
    """A project made by the first release (schema 0001) is copied, then really upgraded: the
    copy keeps schema 0001 and the data, the project reaches head with its data and new tables."""
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from workbench.db.store import alembic_config, backups_of, head_revision
    path = tmp_path / "p.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.exec_driver_sql("INSERT INTO project (guid, name, description, created_at) "
                             "VALUES ('g-1', 'First study', '', '2026-11-23 10:00:00')")
    engine.dispose()
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.current_revision() == head_revision() != "0001"
        with store.engine.connect() as conn:
            assert "coding_status" in inspect(conn).get_table_names()
            assert conn.exec_driver_sql("SELECT name FROM project").fetchall() == [("First study",)]
    finally:
        store.dispose()
    [backup] = backups_of(path)
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert conn.execute("SELECT name FROM project").fetchall() == [("First study",)]
