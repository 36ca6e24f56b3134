"""Restore a backup, or take in a project file from someone else, on a hardened path.

A ``.db`` file that arrives from outside is untrusted: its schema may hold triggers and views
that run code when touched, its cells may be gigabytes, its pages may be damaged. So it is
never opened as a project. It is opened read-only with ``trusted_schema=OFF`` (no SQL functions
from its schema run), ``cell_size_check=ON`` (damaged cells are caught while reading),
``mmap_size=0`` (no memory-mapped reads of a hostile file) and a cap on the size of one value;
``quick_check`` runs first; and only the rows of the workbench's own tables - real tables, not
views that borrow their names - and only their known columns are copied into a database built
by the workbench's own migrations. Nothing of the file's schema comes along.

The copy is made in a temporary file and renamed into place when it is complete and passes
``integrity_check``, so a failure leaves nothing behind.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import func, insert, select, text

from workbench.db.models import Base, Project
from workbench.db.store import (
    Store,
    copy_to_file,
    default_backup_path,
    head_revision,
    known_revisions,
    open_store,
    sqlite_path,
)
from workbench.errors import AlreadyExists, DatabaseBusy, DatabaseProblem
from workbench.safety.untrusted import MAX_CELL_BYTES

BATCH = 2_000


def open_untrusted(path: Path) -> sqlite3.Connection:
    """A read-only connection to an untrusted SQLite file, after ``quick_check`` says ok."""
    path = Path(path)
    if not path.is_file():
        raise DatabaseProblem("does not exist or is not a file", file=str(path))
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise DatabaseProblem(f"cannot be opened ({exc})", file=str(path)) from exc
    try:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_CELL_BYTES)
        for pragma in ("trusted_schema = OFF", "cell_size_check = ON", "mmap_size = 0", "query_only = ON"):
            conn.execute(f"PRAGMA {pragma}")
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            raise DatabaseProblem(f"is damaged ({rows[0][0]}); nothing was copied", file=str(path))
    except sqlite3.DatabaseError as exc:
        conn.close()
        problem = "is not an SQLite database" if "not a database" in str(exc) else f"cannot be read ({exc})"
        raise DatabaseProblem(f"{problem}; nothing was copied", file=str(path)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _tables(conn: sqlite3.Connection) -> dict[str, str]:
    return {name: kind for name, kind in conn.execute("SELECT name, type FROM sqlite_master")}


def check_project_file(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not a workbench project at this version's schema."""
    objects = _tables(conn)
    if objects.get("alembic_version") != "table":
        raise DatabaseProblem("is not a workbench project (no schema version); nothing was copied", file=str(path))
    versions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    # A backup from an earlier release is welcome (its tables are a subset: what is missing stays
    # empty); one from a newer release may hold what this version would silently drop.
    if len(versions) != 1 or versions[0] not in known_revisions():
        raise DatabaseProblem(f"has schema {versions[0] if versions else 'none'}, which this version of the "
                              f"workbench does not know (it knows up to {head_revision()}); update the "
                              "workbench; nothing was copied", file=str(path))
    for table in Base.metadata.sorted_tables:
        kind = objects.get(table.name)
        if kind is not None and kind != "table":
            raise DatabaseProblem(f"has a {kind} named {table.name!r} where the workbench keeps a table; "
                                  "nothing was copied", file=str(path))


def copy_rows(conn: sqlite3.Connection, path: Path, store: Store) -> dict[str, int]:
    """Copy the known columns of the workbench's tables from ``conn`` into ``store`` (empty, at
    head) in one transaction; returns the rows copied per table."""
    objects = _tables(conn)
    counts: dict[str, int] = {}
    with store.engine.begin() as dest:
        if store.is_sqlite:
            # A code may name a parent with a higher id (after a move): check keys at commit.
            dest.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        else:
            dest.execute(text("SET CONSTRAINTS ALL DEFERRED"))
        for table in Base.metadata.sorted_tables:
            if objects.get(table.name) != "table":
                counts[table.name] = 0
                continue
            present = {row[1] for row in conn.execute(f'PRAGMA table_info("{table.name}")')}
            columns = [c.name for c in table.columns if c.name in present]
            quoted = ", ".join(f'"{c}"' for c in columns)
            read = _row_reader(table, columns)
            cursor, n = None, 0
            while True:
                try:
                    cursor = cursor or conn.execute(f'SELECT {quoted} FROM "{table.name}"')
                    rows = cursor.fetchmany(BATCH)
                except sqlite3.DataError as exc:       # "string or blob too big"
                    raise DatabaseProblem(f"holds a value in table {table.name!r} (after row {n}) larger than "
                                          f"{MAX_CELL_BYTES // 2**20} MB; nothing was copied", file=str(path)) from exc
                except sqlite3.DatabaseError as exc:
                    raise DatabaseProblem(f"cannot be read in table {table.name!r} after row {n} ({exc}); "
                                          "nothing was copied", file=str(path)) from exc
                if not rows:
                    break
                params = [read(row) for row in rows]
                try:
                    dest.execute(insert(table), params)
                except Exception as exc:
                    raise DatabaseProblem(f"has rows in table {table.name!r} the workbench cannot take "
                                          f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); nothing "
                                          "was copied", file=str(path)) from exc
                n += len(rows)
            counts[table.name] = n
        if not store.is_sqlite:
            _reset_sequences(dest)
    return counts


def _row_reader(table, columns: list[str]):
    """A function turning one raw SQLite row into bind values: SQLAlchemy's own SQLite result
    processors convert stored text back into dates, enums and JSON, as if read by the ORM."""
    from sqlalchemy.dialects import sqlite
    dialect = sqlite.dialect()
    procs = []
    for name in columns:
        impl = table.columns[name].type.dialect_impl(dialect)
        procs.append(impl.result_processor(dialect, None))

    def read(row: tuple) -> dict:
        return {name: (proc(value) if proc and value is not None else value)
                for name, proc, value in zip(columns, procs, row)}
    return read


def _reset_sequences(dest) -> None:
    for table in Base.metadata.sorted_tables:
        if "id" in table.columns and table.columns["id"].autoincrement in (True, "auto"):
            dest.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                              f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))


def restore(source: Path, target_url: str, *, replace: bool = False) -> dict:
    """Copy the project file (or backup) ``source`` into the database ``target_url`` (a URL, or
    the path of a SQLite file).

    A SQLite target is built as a temporary file and renamed into place; an existing target is
    refused unless ``replace``, and then backed up first. A PostgreSQL target must be empty.
    Returns the rows copied per table and the backup of a replaced target.
    """
    source = Path(source)
    if "://" not in str(target_url):
        target_url = f"sqlite:///{target_url}"
    conn = open_untrusted(source)
    try:
        check_project_file(conn, source)
        target = sqlite_path(target_url)
        if target is None:
            store = open_store(target_url)
            try:
                _require_empty(store, target_url)
                counts = copy_rows(conn, source, store)
            finally:
                store.dispose()
            return dict(rows=counts, replaced_backup=None)
        return _restore_sqlite(conn, source, target, replace)
    finally:
        conn.close()


def _require_empty(store: Store, where: str) -> None:
    with store.read() as s:
        if s.scalar(select(func.count()).select_from(Project)):
            raise AlreadyExists("already holds projects; restore into an empty database", file=where)


def _replace_in_place(restored: Path, target: Path) -> Path:
    """Write ``restored`` into the live file ``target`` and return the backup of what it held.

    Renaming over the file lost work: a process that had it open went on writing into the
    unlinked old file (311 of 504 codings, measured). Instead the target is locked exclusively
    (which SQLite grants only when no other connection has it open: the app, a worker, a CLI
    command), backed up under that lock, and overwritten page by page with the backup API, so
    nothing can be committed in between and nobody writes into a ghost.
    """
    try:
        guard = sqlite3.connect(target, timeout=2.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseProblem(f"cannot be opened to be replaced ({exc})", file=str(target)) from exc
    try:
        try:
            guard.execute("PRAGMA locking_mode = EXCLUSIVE")
            guard.execute("BEGIN EXCLUSIVE")
            guard.execute("COMMIT")           # the lock stays until the connection closes
        except sqlite3.OperationalError as exc:
            raise DatabaseBusy("is open in another process (the app, a worker or a command); close them and "
                               "run restore --replace again. Nothing was changed", file=str(target)) from exc
        backup = copy_to_file(guard, default_backup_path(target))
        source = sqlite3.connect(restored)
        try:
            source.backup(guard)
        except sqlite3.Error as exc:
            raise DatabaseProblem(f"could not be overwritten ({exc}); its backup is {backup}",
                                  file=str(target)) from exc
        finally:
            source.close()
        return backup
    finally:
        guard.close()


def _restore_sqlite(conn: sqlite3.Connection, source: Path, target: Path, replace: bool) -> dict:
    if target.exists() and not replace:
        raise AlreadyExists("exists; choose a new file, or replace it (it is backed up first)", file=str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseProblem(f"cannot be written here ({exc.strerror}); nothing was changed", file=str(target)) from exc
    tmp = target.with_name(target.name + ".restoring")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    try:
        store = open_store(f"sqlite:///{tmp}")
        try:
            counts = copy_rows(conn, source, store)
            store.checkpoint()
            store.quick_check()
        finally:
            store.dispose()
        check = sqlite3.connect(tmp)
        try:
            check.execute("PRAGMA journal_mode = DELETE")
            result = check.execute("PRAGMA integrity_check").fetchall()
        finally:
            check.close()
        if result != [("ok",)]:
            raise DatabaseProblem(f"the restored copy failed its integrity check ({result[0][0]})", file=str(target))
        backup = _replace_in_place(tmp, target) if target.exists() else None
        if backup is None:
            tmp.replace(target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    return dict(rows=counts, replaced_backup=backup)
