"""Case 9: a SQLite file from outside (a backup, a colleague's project) is read on a hardened
path; its triggers, views and extra columns never come along, oversized cells are refused."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.reliability.support import count, run_cli
from workbench.db import restore as project_file
from workbench.db.store import open_store
from workbench.errors import DatabaseProblem


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """The demo made once by the CLI; each test gets its own copy of the file."""
    db = tmp_path_factory.mktemp("template") / "colleague.db"
    assert run_cli("--db", f"sqlite:///{db}", "demo", "--no-codings").returncode == 0
    return db


@pytest.fixture
def project_db(tmp_path, demo_db) -> Path:
    db = tmp_path / "colleague.db"
    shutil.copyfile(demo_db, db)
    return db


def _schema(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        return {name: kind for name, kind in conn.execute("SELECT name, type FROM sqlite_master")}
    finally:
        conn.close()


def test_the_hardened_connection_is_read_only_and_distrusts_the_schema(project_db):
    conn = project_file.open_untrusted(project_db)
    try:
        assert conn.execute("PRAGMA trusted_schema").fetchone() == (0,)
        assert conn.execute("PRAGMA cell_size_check").fetchone() == (1,)
        assert conn.execute("PRAGMA mmap_size").fetchone() == (0,)
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("DELETE FROM coding")
        assert conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH) == project_file.MAX_CELL_BYTES
    finally:
        conn.close()


def test_triggers_views_and_unknown_columns_stay_behind(project_db, tmp_path):
    conn = sqlite3.connect(project_db)
    conn.executescript("""
        ALTER TABLE source ADD COLUMN secret TEXT DEFAULT 'exfiltrate me';
        CREATE TABLE malware (payload TEXT);
        INSERT INTO malware VALUES ('x');
        CREATE VIEW everything AS SELECT * FROM source;
        CREATE TRIGGER wipe AFTER INSERT ON coding BEGIN DELETE FROM source; END;
        CREATE TRIGGER rename_all AFTER UPDATE ON project BEGIN UPDATE project SET name = 'owned'; END;
    """)
    conn.close()
    target = tmp_path / "mine.db"
    result = project_file.restore(project_db, f"sqlite:///{target}")
    assert result["rows"]["source"] == 6
    schema = _schema(target)
    assert "malware" not in schema and "everything" not in schema
    assert not [n for n, k in schema.items() if k == "trigger"]
    cols = [r[1] for r in sqlite3.connect(target).execute("PRAGMA table_info(source)")]
    assert "secret" not in cols
    # The copy is a working project: coding in it does not set off anything the file carried.
    from workbench.coding.codings import apply_code
    from workbench.db.models import Coder, Project, Source
    store = open_store(f"sqlite:///{target}")
    try:
        with store.write("code", project_id=1, coder_id=1) as s:
            apply_code(s, s.get(Source, 1), 1, s.get(Coder, 1), 0, 5)
            s.get(Project, 1).name = "renamed"
    finally:
        store.dispose()
    assert count(target, "source") == 6 and count(target, "coding") == 1
    assert count(target, "project", "name = 'renamed'") == 1


def test_a_view_posing_as_a_workbench_table_is_refused(project_db, tmp_path):
    conn = sqlite3.connect(project_db)
    conn.executescript("""
        PRAGMA foreign_keys = OFF;
        DROP TABLE memo;
        CREATE VIEW memo AS SELECT 1 AS id;
    """)
    conn.close()
    with pytest.raises(DatabaseProblem, match="view named 'memo'"):
        project_file.restore(project_db, f"sqlite:///{tmp_path / 'mine.db'}")
    assert not (tmp_path / "mine.db").exists()


def test_an_oversized_cell_is_refused_and_nothing_is_written(project_db, tmp_path):
    conn = sqlite3.connect(project_db)
    conn.execute("UPDATE source SET text = ? WHERE id = 3", ("x" * (project_file.MAX_CELL_BYTES + 10),))
    conn.commit()
    conn.close()
    target = tmp_path / "mine.db"
    proc = run_cli("restore", str(project_db), "--to", str(target))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "table 'source'" in proc.stderr and "larger than" in proc.stderr and str(project_db) in proc.stderr
    assert not target.exists() and not list(tmp_path.glob("mine.db*"))


def test_a_damaged_file_is_refused_before_anything_is_copied(project_db, tmp_path):
    data = bytearray(project_db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    middle = (len(data) // page // 2) * page
    data[middle:middle + 48] = bytes(range(200, 248))
    project_db.write_bytes(bytes(data))
    with pytest.raises(DatabaseProblem, match="damaged|cannot be read"):
        project_file.restore(project_db, f"sqlite:///{tmp_path / 'mine.db'}")
    assert not (tmp_path / "mine.db").exists()


def test_a_project_file_moves_into_an_empty_postgresql_database(project_db, pg_template):
    """The same path takes a SQLite project onto a team's PostgreSQL server."""
    from sqlalchemy import text
    server, engine = pg_template
    with engine.connect() as c:
        c.execute(text("CREATE DATABASE wb_restore_target"))
    try:
        url = server.url("wb_restore_target")
        result = project_file.restore(project_db, url)
        assert result["rows"]["source"] == 6
        store = open_store(url)
        try:
            from workbench.corpus.importing import import_uploads
            import_uploads(store, 1, None, [("new.txt", b"Ana: a new interview after the move")])
            with store.read() as s:
                assert s.execute(text("SELECT count(*) FROM source")).scalar() == 7
        finally:
            store.dispose()
        with pytest.raises(Exception, match="already holds projects"):
            project_file.restore(project_db, url)
    finally:
        with engine.connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS wb_restore_target WITH (FORCE)"))


def test_a_backup_from_the_first_release_restores_and_one_from_a_newer_release_is_refused(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from workbench.db.store import alembic_config
    old = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{old}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.exec_driver_sql("INSERT INTO project (guid, name, description, created_at) "
                             "VALUES ('g-1', 'First study', '', '2026-11-23 10:00:00')")
    engine.dispose()
    result = project_file.restore(old, f"sqlite:///{tmp_path / 'new.db'}")
    assert result["rows"]["project"] == 1 and result["rows"].get("coding_status", 0) == 0
    assert count(tmp_path / "new.db", "project", "name = 'First study'") == 1
    newer = tmp_path / "newer.db"
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    old.rename(newer)
    with pytest.raises(DatabaseProblem, match="schema 0999, which this version of the workbench does not know"):
        project_file.restore(newer, f"sqlite:///{tmp_path / 'other.db'}")
    assert not (tmp_path / "other.db").exists()


@pytest.mark.parametrize("sql,what", [
    ("CREATE TRIGGER wipe AFTER INSERT ON memo BEGIN UPDATE source SET text = 'owned'; END;", "trigger 'wipe'"),
    ("PRAGMA foreign_keys = OFF; DROP TABLE memo; CREATE VIEW memo AS WITH RECURSIVE r(x) AS "
     "(SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x AS id FROM r;", "view 'memo'"),
    ("CREATE TABLE payload (x TEXT);", "table 'payload'"),
])
def test_a_project_file_opened_with_db_is_refused_when_its_schema_is_not_ours(project_db, sql, what):
    """Opening a file as a project (--db, the app) runs its schema: a trigger rewrote every
    transcript on the next 'memo add', a recursive view named like a table hung 'memo list'.
    Such a file is refused before any command touches it, and the message says how to bring
    its data in (restore copies rows only)."""
    conn = sqlite3.connect(project_db)
    conn.executescript(sql)
    conn.close()
    before = sqlite3.connect(project_db).execute("SELECT group_concat(text) FROM source").fetchone()
    for args in (("memo", "add", "a note", "--source", "1"), ("memo", "list")):
        proc = run_cli("--db", f"sqlite:///{project_db}", *args)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert what in proc.stderr and "workbench restore" in proc.stderr and str(project_db) in proc.stderr
    assert sqlite3.connect(project_db).execute("SELECT group_concat(text) FROM source").fetchone() == before
    with pytest.raises(DatabaseProblem, match="never does"):
        open_store(f"sqlite:///{project_db}")


def test_a_project_file_of_our_own_opens(project_db):
    store = open_store(f"sqlite:///{project_db}")
    store.dispose()
    assert run_cli("--db", f"sqlite:///{project_db}", "memo", "list").returncode == 0
