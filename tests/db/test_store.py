"""Storage: connection settings, migrations, refusal of foreign files, backup."""
from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text

from workbench.db.models import Project
from workbench.db.store import head_revision, open_store
from workbench.errors import DatabaseProblem


def test_sqlite_connection_settings(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    with store.read() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    store.dispose()


def test_write_transactions_begin_immediate(tmp_path):
    """A write session holds the RESERVED lock from its first statement: a second writer waits."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = open_store(url)
    with store.write() as s:
        s.execute(text("SELECT 1"))   # no write yet, but the lock is already taken
        other = sqlite3.connect(tmp_path / "p.db", timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    store.dispose()


def test_migration_reaches_head_on_both_backends(store):
    assert store.current_revision() == head_revision()
    with store.write() as s:
        s.add(Project(name="x"))
    with store.read() as s:
        assert s.query(Project).count() == 1


def test_backup_passes_integrity_check_and_holds_the_data(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    with store.write() as s:
        s.add(Project(name="Backed up"))
    target = store.backup(tmp_path / "b" / "copy.db")
    store.dispose()
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT name FROM project").fetchall() == [("Backed up",)]
    assert not (tmp_path / "b" / "copy.db.partial").exists()


def test_backup_of_postgres_is_refused_with_advice(pg_template):
    server, _ = pg_template
    store = open_store(server.url("wb_template"), migrate=False)
    with pytest.raises(DatabaseProblem, match="pg_dump"):
        store.backup("x.db")
    store.dispose()


WRITE_CASES = """
import sys
from workbench.db.models import Case
from workbench.db.store import open_store
store = open_store(sys.argv[1], migrate=False)
for i in range(40):
    with store.write() as s:
        s.add(Case(project_id=1, name=f"child{sys.argv[2]}-{i}"))
store.dispose()
"""


def test_two_stores_in_one_process_and_a_writer_elsewhere_keep_the_file_whole(tmp_path):
    """Regression: opening a second store used to read the file's header with Python's open();
    its close() dropped the POSIX locks of the first store's live connection, and a child
    process writing at the same time corrupted the database."""
    import subprocess
    import sys
    url = f"sqlite:///{tmp_path / 'p.db'}"
    first = open_store(url)
    with first.write() as s:
        s.add(Project(name="p"))
    second = open_store(url)
    for n in range(2):
        child = subprocess.Popen([sys.executable, "-c", WRITE_CASES, url, str(n)])
        while child.poll() is None:
            with second.write() as s:
                s.get(Project, 1).description = str(n)
            time.sleep(0.02)
        assert child.returncode == 0
    first.dispose()
    second.dispose()
    with sqlite3.connect(tmp_path / "p.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM case_").fetchone() == (80,)


def test_the_migrations_build_exactly_the_models_schema(store):
    """Every change to the models comes with a migration (compared on both backends)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from workbench.db.models import Base
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
